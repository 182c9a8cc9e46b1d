"""Concentrated days: places per category, the printable list, attendance and moves."""
import html
from datetime import date

import pytest
from sqlalchemy import select

from portal.cases.models import CaseEvent
from portal.domain import idcard
from portal.scheduling.models import DayAssignment


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def town(make_township):
    return make_township()


@pytest.fixture
def staff(town, make_user, login_as):
    return login_as(make_user("township_staff", town))


def test_assigning_beyond_the_places_of_a_category_is_refused(
        post, town, staff, make_case, make_day, db_session):
    day = make_day(town, hearing=1, vision=2)
    hearing = [make_case(town, category="hearing") for _ in range(2)]
    vision = [make_case(town, category="vision") for _ in range(2)]

    response = post(f"/t/{town.code}/schedule/days/{day.id}/assign",
                    {"assign-cases": [c.id for c in hearing]})
    assert response.status_code == 422
    assert "Not enough places for Hearing on this day: 1 places, 1 still free, 2 chosen" \
        in text(response)
    for case in hearing:
        db_session.refresh(case)
        assert (case.state, case.concentrated_day_id) == ("registered", None)

    response = post(f"/t/{town.code}/schedule/days/{day.id}/assign",
                    {"assign-cases": [hearing[0].id] + [c.id for c in vision]})
    assert response.status_code == 302
    for case in [hearing[0], *vision]:
        db_session.refresh(case)
        assert (case.state, case.concentrated_day_id) == ("scheduled", day.id)
        assert [e.action for e in case.events] == ["schedule"]

    # The second hearing case no longer fits, on its own either.
    response = post(f"/t/{town.code}/schedule/days/{day.id}/assign",
                    {"assign-cases": [hearing[1].id]})
    assert response.status_code == 422
    assert "0 still free" in text(response)
    db_session.refresh(hearing[1])
    assert hearing[1].state == "registered"


def test_only_concentrated_path_cases_of_the_township_can_be_assigned(
        post, town, staff, make_township, make_case, make_day, db_session):
    day = make_day(town, hearing=5)
    visit_case = make_case(town, path="home_visit")
    foreign = make_case(make_township(), category="hearing")
    response = post(f"/t/{town.code}/schedule/days/{day.id}/assign",
                    {"assign-cases": [visit_case.id]})
    assert response.status_code == 422
    response = post(f"/t/{town.code}/schedule/days/{day.id}/assign",
                    {"assign-cases": [foreign.id]})
    assert response.status_code == 422
    for case in (visit_case, foreign):
        db_session.refresh(case)
        assert case.state == "registered"


def test_days_list_shows_places_and_people_per_category(
        client, post, town, staff, make_case, make_day):
    day = make_day(town, on=date(2020, 5, 13), hearing=3, mental=4)
    case = make_case(town, category="mental")
    assert post(f"/t/{town.code}/schedule/days/{day.id}/assign",
                {"assign-cases": [case.id]}).status_code == 302
    page = text(client.get(f"/t/{town.code}/schedule/days"))
    assert "2020-05-13" in page and "测试医院" in page
    assert "1 / 4" in page and "0 / 3" in page


def test_create_and_edit_a_day(client, post, town, staff, db_session, events):
    from portal.reference.models import ConcentratedDay, Hospital

    hospital = Hospital(name="芒市测试医院")
    db_session.add(hospital)
    db_session.flush()
    data = {"day": "2020-05-20", "hospitals": [hospital.id], "status": "planned", "note": "",
            **{f"capacity_{c}": 0 for c in ("vision", "hearing", "speech", "physical",
                                            "intellectual", "mental", "multiple")}}
    data["capacity_physical"] = 12
    response = post(f"/t/{town.code}/schedule/days/new", data)
    assert response.status_code == 302
    day = db_session.scalars(select(ConcentratedDay).where(
        ConcentratedDay.township_id == town.id)).one()
    assert (day.day, day.capacity("physical"), [h.name for h in day.hospitals]) == (
        date(2020, 5, 20), 12, ["芒市测试医院"])
    assert events("schedule.day_created")
    # The same date twice is refused next to the date field.
    response = post(f"/t/{town.code}/schedule/days/new", data)
    assert response.status_code == 200
    assert "already has a concentrated day" in text(response)
    # A negative number of places is refused.
    response = post(f"/t/{town.code}/schedule/days/{day.id}/edit",
                    {**data, "capacity_physical": -1})
    assert "Enter a number between 0 and 2000." in text(response)


def test_attendance_list_for_printing(client, post, town, staff, make_case, make_day):
    village = town.villages[0]
    day = make_day(town, hearing=5)
    case = make_case(town, category="hearing", name="李四", village=village)
    assert post(f"/t/{town.code}/schedule/days/{day.id}/assign",
                {"assign-cases": [case.id]}).status_code == 302
    response = client.get(f"/t/{town.code}/schedule/days/{day.id}/print")
    assert response.status_code == 200
    page = text(response)
    number = case.person.id_number
    assert "李四" in page and village.name in page
    assert town.name in page and "2020-05-12" in page and "测试医院" in page
    assert "Signature" in page and "Attended" in page
    assert "…" + number[-4:] in page
    assert number not in page and number[:6] not in page
    assert "attendance-list" in page  # the print stylesheet's A4 rules apply to this table


def test_attendance_list_shows_a_role_without_reveal_only_the_masked_id(
        client, post, town, staff, make_case, make_day, make_user, login_as):
    day = make_day(town, hearing=5)
    case = make_case(town, category="hearing", name="李四")
    assert post(f"/t/{town.code}/schedule/days/{day.id}/assign",
                {"assign-cases": [case.id]}).status_code == 302
    number = case.person.id_number
    login_as(make_user("health_coordinator"))  # schedules, but may not reveal ID numbers
    for url in (f"/t/{town.code}/schedule/days/{day.id}/print",
                f"/t/{town.code}/schedule/days/{day.id}"):
        page = text(client.get(url))
        assert "李四" in page
        assert number[-4:] not in page and number[-3:] not in page
    assert idcard.mask(number) in page


def test_attendance_and_no_show_are_recorded(client, post, town, staff, make_case, make_day,
                                             db_session, events):
    day = make_day(town, hearing=5)
    came, absent = make_case(town, name="王五"), make_case(town, name="赵六")
    assert post(f"/t/{town.code}/schedule/days/{day.id}/assign",
                {"assign-cases": [came.id, absent.id]}).status_code == 302
    response = post(f"/t/{town.code}/schedule/days/{day.id}/attendance",
                    {f"case_{came.id}": "attended", f"case_{absent.id}": "no_show"})
    assert response.status_code == 302
    rows = {r.case_id: r for r in db_session.scalars(
        select(DayAssignment).where(DayAssignment.day_id == day.id))}
    assert rows[came.id].attendance == "attended"
    assert rows[absent.id].attendance == "no_show"
    assert rows[absent.id].recorded_by_id == staff.id
    db_session.refresh(absent)
    assert absent.state == "scheduled"  # a no-show keeps the case scheduled, flagged
    page = text(client.get(f"/t/{town.code}/schedule/days/{day.id}"))
    assert "Did not come: move to another day" in page
    [event] = events("schedule.attendance_recorded")
    assert event.details == {"expected": 0, "attended": 1, "no_show": 1}


def test_moving_a_day_moves_its_cases(post, town, staff, make_case, make_day, db_session,
                                      events):
    day = make_day(town, hearing=5)
    other = make_day(town, on=date(2020, 5, 15))
    cases = [make_case(town) for _ in range(2)]
    assert post(f"/t/{town.code}/schedule/days/{day.id}/assign",
                {"assign-cases": [c.id for c in cases]}).status_code == 302
    form = {"hospitals": [h.id for h in day.hospitals], "status": "planned", "note": "",
            **{f"capacity_{c}": day.capacity(c) for c in (
                "vision", "hearing", "speech", "physical", "intellectual", "mental",
                "multiple")}}
    # Onto a date the township already uses: refused.
    response = post(f"/t/{town.code}/schedule/days/{day.id}/edit", {**form, "day": "2020-05-15"})
    assert "already has a concentrated day" in text(response)
    assert other.day == date(2020, 5, 15)
    response = post(f"/t/{town.code}/schedule/days/{day.id}/edit", {**form, "day": "2020-05-26"})
    assert response.status_code == 302
    db_session.refresh(day)
    assert day.day == date(2020, 5, 26)
    for case in cases:
        db_session.refresh(case)
        assert (case.state, case.concentrated_day_id) == ("scheduled", day.id)
        notes = [e.note for e in db_session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id))]
        assert "2020-05-12 → 2020-05-26" in notes
    [moved] = events("schedule.day_moved")
    assert moved.details == {"from": "2020-05-12", "to": "2020-05-26", "cases": 2}
    # Places cannot drop below the people already on the day.
    response = post(f"/t/{town.code}/schedule/days/{day.id}/edit",
                    {**form, "day": "2020-05-26", "capacity_hearing": 1})
    assert "2 people for Hearing are already on this day" in text(response)


def test_a_person_moves_to_another_day_within_its_places(post, town, staff, make_case,
                                                          make_day, db_session):
    first = make_day(town, hearing=2)
    full = make_day(town, on=date(2020, 5, 14), hearing=0)
    second = make_day(town, on=date(2020, 5, 15), hearing=1)
    case = make_case(town)
    assert post(f"/t/{town.code}/schedule/days/{first.id}/assign",
                {"assign-cases": [case.id]}).status_code == 302
    response = post(f"/t/{town.code}/schedule/days/{first.id}/move",
                    {"move-case": case.id, "move-target": full.id})
    assert response.status_code == 422
    assert "Not enough places for Hearing" in text(response)
    response = post(f"/t/{town.code}/schedule/days/{first.id}/move",
                    {"move-case": case.id, "move-target": second.id})
    assert response.status_code == 302
    db_session.refresh(case)
    assert (case.state, case.concentrated_day_id) == ("scheduled", second.id)
    # Taking the person off the day sends the case back to registered.
    response = post(f"/t/{town.code}/schedule/days/{second.id}/release",
                    {"release-case": case.id})
    assert response.status_code == 302
    db_session.refresh(case)
    assert (case.state, case.concentrated_day_id) == ("registered", None)


def test_liaison_sees_days_but_cannot_schedule(client, post, town, make_user, login_as,
                                               make_case, make_day):
    day = make_day(town, hearing=5)
    case = make_case(town)
    login_as(make_user("village_liaison", town, [town.villages[0]]))
    assert client.get(f"/t/{town.code}/schedule/days").status_code == 200
    assert client.get(f"/t/{town.code}/schedule/days/new").status_code == 403
    assert post(f"/t/{town.code}/schedule/days/{day.id}/assign",
                {"assign-cases": [case.id]}).status_code == 403


def test_foreign_day_is_404(client, town, staff, make_township, make_day):
    foreign = make_day(make_township(), hearing=5)
    assert client.get(f"/t/{town.code}/schedule/days/{foreign.id}").status_code == 404
    assert client.get(f"/t/{town.code}/schedule/days/{foreign.id}/print").status_code == 404
