"""The walk-in application page: existing persons by full ID number, the one-open-case rule,
numbers registered elsewhere, hospital bookings, the campaign of the day, and who may use it."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portal.cases.models import Case
from portal.cases.services import create_case
from portal.reference.models import Hospital
from tests.cases.helpers import text


def _url(world) -> str:
    return f"/t/{world.township.code}/walk-ins/new"


def _open(post, world, person_id_number, **fields):
    form = {"id_number": person_id_number, "stage": "existing", "open": "1", "kind": "issue",
            "path": "concentrated", "hospital_id": "0", "mobility": "can_travel"}
    form.update(fields)
    return post(_url(world), form)


def test_existing_person_found_by_full_id_number_during_a_campaign(
        world, campaign, clock, client, post, login_as, db_session, make_person):
    clock.day = date(2020, 5, 12)  # inside the campaign's period
    person = make_person(world.township, name="岩温", village=world.village, list_kind=None)
    login_as(world.staff)
    page = text(post(_url(world), {"id_number": person.id_number.lower(), "find": "1"}))
    assert "Registered person" in page and "岩温" in page
    assert person.id_number not in page.replace(f'value="{person.id_number}"', "")
    response = _open(post, world, person.id_number, note="walked in")
    assert response.status_code == 302, text(response)[:2000]
    case = db_session.scalars(select(Case).where(Case.person_id == person.id)).one()
    assert (case.origin, case.campaign_id, case.state) == ("walk_in", campaign.id, "registered")
    assert person.roster_entries == []
    assert "opened during 2020 集中办证" in text(client.get(f"/t/{world.township.code}/cases/{case.id}"))


def test_open_case_gets_a_clear_message_not_an_error(world, clock, client, post, login_as,
                                                     db_session):
    open_case = world.new_case()  # 李四 already has an open case from the survey
    login_as(world.staff)
    found = text(post(_url(world), {"id_number": world.person.id_number, "find": "1"}))
    assert "This person already has an open case" in found
    response = _open(post, world, world.person.id_number)
    assert response.status_code == 400
    page = text(response)
    assert "This person already has an open case" in page
    assert f"/cases/{open_case.id}" in page
    assert db_session.scalar(select(func.count()).select_from(Case)) == 1


def test_number_registered_in_another_township_says_nothing_about_it(
        world, clock, post, login_as, make_township, make_person, db_session):
    other = make_township()
    foreign = make_person(other, name="外乡人")
    login_as(world.staff)
    response = post(_url(world), {"id_number": foreign.id_number, "find": "1"})
    assert response.status_code == 400
    page = text(response)
    assert "cannot be registered here" in page and "外乡人" not in page
    response = _open(post, world, foreign.id_number, stage="new", name="冒名")
    assert response.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(Case)) == 0


def test_invalid_id_number_is_refused_next_to_the_field(world, clock, post, login_as):
    login_as(world.staff)
    response = post(_url(world), {"id_number": "53310319750308321", "find": "1"})
    assert response.status_code == 400
    assert 'id="id_number-error"' in text(response)


def test_hospital_booking_is_scheduled_for_the_booked_day(world, clock, client, post,
                                                          login_as, db_session):
    hospital = Hospital(name="德宏州医院")
    db_session.add(hospital)
    db_session.flush()
    login_as(world.staff)
    person_number = world.person.id_number
    refused = _open(post, world, person_number, path="hospital", hospital_id=hospital.id,
                    booked_on="2020-08-31")
    assert refused.status_code == 400
    assert "cannot be booked on a past day" in text(refused)
    missing = _open(post, world, person_number, path="hospital", booked_on="2020-09-03")
    assert "Choose the designated hospital" in text(missing)
    response = _open(post, world, person_number, path="hospital", hospital_id=hospital.id,
                     booked_on="2020-09-03", requested_category="vision")
    assert response.status_code == 302, text(response)[:2000]
    case = db_session.scalars(select(Case).where(Case.person_id == world.person.id)).one()
    assert (case.origin, case.path, case.state) == ("hospital_booking", "hospital", "scheduled")
    assert (case.hospital_id, case.booked_on, case.campaign_id) == (
        hospital.id, date(2020, 9, 3), None)
    assert [e.action for e in case.events] == ["register", "schedule"]
    page = text(client.get(f"/t/{world.township.code}/cases/{case.id}"))
    assert "德宏州医院 on 2020-09-03" in page
    assert "Assessment booked at a hospital" in page


def test_survey_cases_keep_the_survey_origin_and_campaign(world, campaign, clock, db_session):
    clock.day = date(2020, 4, 20)
    case = create_case(world.township, world.staff, world.person, kind="issue",
                       path="concentrated")
    assert (case.origin, case.campaign_id) == ("survey", campaign.id)
    clock.day = date(2020, 7, 1)  # the day after the campaign
    case.state = "withdrawn"
    later = create_case(world.township, world.staff, world.person, kind="issue",
                        path="concentrated")
    assert later.campaign_id is None


def test_only_the_case_office_may_open_walk_ins(world, clock, client, post, login_as):
    for user in (world.liaison, world.doctor, world.supervisor):
        login_as(user)
        assert client.get(_url(world)).status_code in (403, 404)
        assert post(_url(world), {"id_number": world.person.id_number,
                                  "find": "1"}).status_code in (403, 404)


def test_hospital_booking_is_assessed_in_person_at_the_hospital(world, clock, post, login_as,
                                                                db_session):
    from portal.assessments.models import Assessment
    from portal.doctors.models import DoctorCertification

    hospital = Hospital(name="德宏州中医院")
    db_session.add(hospital)
    db_session.flush()
    db_session.add(DoctorCertification(
        user_id=world.doctor.id, number="DH-2019-902", hospital_id=hospital.id,
        categories=["physical"], valid_from=date(2019, 1, 1), valid_until=date(2024, 12, 31),
        active=True))
    login_as(world.staff)
    assert _open(post, world, world.person.id_number, path="hospital", hospital_id=hospital.id,
                 booked_on="2020-09-02", requested_category="physical").status_code == 302
    case = db_session.scalars(select(Case).where(Case.person_id == world.person.id)).one()
    base = f"/t/{world.township.code}"
    assert post(f"{base}/cases/{case.id}/doctor",
                {"doctor_id": world.doctor.id}).status_code == 302
    clock.day = date(2020, 9, 2)
    login_as(world.doctor)
    response = post(f"{base}/assessments/{case.id}/new?category=physical", {
        "method": "hospital", "limb_clause": "quadriplegia", "limb_without_aids": "y",
        "outcome": "1", "sign": "1"})
    assert response.status_code == 302, text(response)[:2000]
    db_session.expire_all()
    case = db_session.get(Case, case.id)
    assert (case.state, case.grade) == ("assessed", 1)
    assert db_session.scalars(select(Assessment)).one().method == "hospital"


def test_roster_case_form_offers_no_hospital_booking(world, client, login_as):
    """The person page's case form (a survey case) keeps its paths; bookings are walk-ins."""
    login_as(world.staff)
    page = text(client.get(f"/t/{world.township.code}/cases/new/{world.person.id}"))
    assert 'value="records"' in page and 'value="hospital"' not in page
    walk_in = text(client.get(_url(world)))
    assert "Walk-in application" in walk_in


def test_case_list_filters_by_origin(world, clock, client, post, login_as, db_session,
                                     make_person):
    walker = make_person(world.township, name="王走", list_kind=None)
    world.new_case()  # 李四, from the survey
    login_as(world.staff)
    assert _open(post, world, walker.id_number).status_code == 302
    url = f"/t/{world.township.code}/cases/"
    walk_ins = text(client.get(url, query_string={"origin": "walk_in"}))
    assert "王走" in walk_ins and "李四" not in walk_ins
    survey = text(client.get(url, query_string={"origin": "survey"}))
    assert "李四" in survey and "王走" not in survey


def test_number_registered_meanwhile_is_refused_cleanly(world, clock, db_session):
    """Between finding no one and opening the case, another office registered the number."""
    import pytest

    from portal.domain.idcard import parse
    from portal.refusals import Refused
    from portal.rosters.services import PersonData
    from portal.walkins.services import Application, open_walk_in
    from tests.cases.helpers import access

    data = PersonData(parsed=parse(world.person.id_number), lists={}, fields={
        "name": "重复", "ethnicity": "", "village_id": None, "phone": "", "address": "",
        "mobility": "can_travel", "poverty_registered": False, "guardian_name": "",
        "guardian_phone": ""})
    with pytest.raises(Refused) as refused:
        open_walk_in(world.township, world.staff, access(world.staff, world.township),
                     Application(kind="issue", path="records"), new_person=data)
    assert refused.value.code == "id_registered_meanwhile"
    assert db_session.scalar(select(func.count()).select_from(Case)) == 0
