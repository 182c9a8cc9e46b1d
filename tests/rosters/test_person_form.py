"""Creating and editing people: ID validation, duplicates, villages, phones, audit."""
import re
from datetime import date

import pytest
from sqlalchemy import select

from portal.domain import idcard
from portal.rosters.models import Person
from tests.rosters.helpers import text

VALID = idcard.make("533103", date(1985, 7, 9), 381)  # sequence 381: male


@pytest.fixture
def town(make_township):
    return make_township(villages=("一村", "二村"))


@pytest.fixture
def staff(town, make_user, login_as):
    return login_as(make_user("township_staff", town))


def _form(**overrides):
    data = {
        "name": "孙八",
        "id_number": VALID,
        "ethnicity": "傣族",
        "village_id": "0",
        "phone": "139 1234 5678",
        "address": "一组",
        "mobility": "bedridden",
        "guardian_name": "",
        "guardian_phone": "",
        "on_suspected": "y",
        "suspected_category": "physical",
        "medical_records": "yes",
        "notes": "",
        "certificate_category": "",
        "certificate_grade": "",
        "certificate_number": "",
        "ethnicity_other": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _person(db_session, number):
    return db_session.scalars(select(Person).where(Person.id_number == number)).one_or_none()


def test_create_derives_birth_date_and_gender(client, post, town, staff, db_session, events):
    response = post(f"/t/{town.code}/persons/new", data=_form())
    assert response.status_code == 302
    person = _person(db_session, VALID)
    assert person.township_id == town.id
    assert (person.birth_date, person.gender) == (date(1985, 7, 9), "male")
    assert person.phone == "13912345678"
    assert (person.name_pinyin, person.name_initials) == ("sun ba", "sb")
    [entry] = person.roster_entries
    assert (entry.list_kind, entry.suspected_category, entry.medical_records) == (
        "suspected", "physical", True)
    [event] = events("person.create")
    assert "id_number" in event.details["fields"]
    assert VALID not in str(event.details) and "孙八" not in str(event.details)
    assert response.headers["Location"].endswith(f"/persons/{person.id}")
    assert VALID not in response.headers["Location"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter the ID number."),
        ("5.33103E+17", "lost its last digits"),
        ("53310319850709", "has 18 characters"),
        ("53310319850709038A", "17 digits followed by a digit or the letter X"),
        ("003103198507090381", "not a valid area code"),
        ("533103198502300381", "not a real date"),
        ("533103209901010381", "in the future"),
        (VALID[:-1] + ("1" if VALID[-1] != "1" else "2"), "does not match the rest"),
    ],
)
def test_each_id_error_is_explained(client, post, town, staff, db_session, raw, message):
    response = post(f"/t/{town.code}/persons/new", data=_form(id_number=raw))
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert 'id="id_number-error"' in page  # next to the field
    assert db_session.scalars(select(Person)).all() == []


def test_fifteen_digit_number_is_upgraded(client, post, town, staff, db_session):
    old = "533103850709381"
    response = post(f"/t/{town.code}/persons/new", data=_form(id_number=old),
                    follow_redirects=True)
    assert "upgraded to the 18-digit number" in text(response)
    assert _person(db_session, idcard.upgrade_15(old)) is not None


def test_normalised_input_is_stored(client, post, town, staff, db_session):
    spaced = f" {VALID[:6]} {VALID[6:14]} {VALID[14:]} ".replace("1", "１")
    assert post(f"/t/{town.code}/persons/new", data=_form(id_number=spaced)).status_code == 302
    assert _person(db_session, VALID) is not None


def test_duplicate_in_same_township_links_to_the_record(client, post, town, staff, make_person):
    existing = make_person(town, name="周九", id_number=VALID)
    page = text(post(f"/t/{town.code}/persons/new", data=_form()))
    assert "already registered in this township" in page
    assert f'href="/t/{town.code}/persons/{existing.id}"' in page


def test_duplicate_in_other_township_reveals_nothing(client, post, town, staff, make_township,
                                                      make_person, db_session):
    other = make_township()
    make_person(other, name="吴十", id_number=VALID, phone="13700000000")
    page = text(post(f"/t/{town.code}/persons/new", data=_form()))
    assert "cannot be registered here" in page
    assert "contact the city DPF office" in page
    assert "吴十" not in page and other.name not in page and "13700000000" not in page
    assert len(db_session.scalars(select(Person).where(Person.id_number == VALID)).all()) == 1


def test_edit_cannot_take_an_id_registered_elsewhere(client, post, town, staff, make_township,
                                                     make_person, db_session):
    other = make_township()
    make_person(other, name="吴十", id_number=VALID)
    mine = make_person(town, name="郑一")
    own_number = mine.id_number
    page = text(post(f"/t/{town.code}/persons/{mine.id}/edit",
                     data=_form(name="郑一", id_number=VALID)))
    assert "cannot be registered here" in page and "吴十" not in page
    db_session.refresh(mine)
    assert mine.id_number == own_number


def test_edit_audits_changed_field_names_only(client, post, town, staff, make_person, events,
                                              db_session):
    person = make_person(town, name="郑一")
    form = _form(name="郑一", id_number=person.id_number, phone="0692-1234567",
                 mobility="can_travel", ethnicity="", on_suspected="y")
    # Open the edit page first: it is pre-filled with the current values.
    page = text(client.get(f"/t/{town.code}/persons/{person.id}/edit"))
    assert 'value="郑一"' in page
    assert post(f"/t/{town.code}/persons/{person.id}/edit", data=form).status_code == 302
    db_session.refresh(person)
    assert person.phone == "0692-1234567"
    [event] = events("person.update")
    assert "phone" in event.details["fields"]
    assert "name" not in event.details["fields"]
    assert "1234567" not in str(event.details)


def test_unticking_a_list_withdraws_the_entry(client, post, town, staff, make_person,
                                              db_session):
    person = make_person(town, name="郑一", list_kind="expired")
    form = _form(name="郑一", id_number=person.id_number, on_suspected=None, on_expired=None)
    page = text(post(f"/t/{town.code}/persons/{person.id}/edit", data=form))
    assert "Tick at least one list" in page
    form = _form(name="郑一", id_number=person.id_number)  # suspected only
    assert post(f"/t/{town.code}/persons/{person.id}/edit", data=form).status_code == 302
    db_session.refresh(person)
    states = {e.list_kind: e.status for e in person.roster_entries}
    assert states == {"expired": "withdrawn", "suspected": "open"}


@pytest.mark.parametrize("phone", ["12345", "1391234567", "23912345678", "692-1234567"])
def test_bad_phone_numbers_are_refused(client, post, town, staff, db_session, phone):
    page = text(post(f"/t/{town.code}/persons/new", data=_form(phone=phone)))
    assert "11-digit mobile number" in page
    assert _person(db_session, VALID) is None


def test_liaison_creates_only_in_own_villages(client, post, town, make_user, login_as,
                                              db_session):
    own = next(v for v in town.villages if v.name == "一村")
    foreign = next(v for v in town.villages if v.name == "二村")
    login_as(make_user("village_liaison", town, [own]))
    page = text(client.get(f"/t/{town.code}/persons/new"))
    assert "一村" in page and "二村" not in page
    assert post(f"/t/{town.code}/persons/new",
                data=_form(village_id=str(foreign.id))).status_code == 200
    assert _person(db_session, VALID) is None
    assert post(f"/t/{town.code}/persons/new",
                data=_form(village_id=str(own.id))).status_code == 302
    person = _person(db_session, VALID)
    assert person.village_id == own.id
    assert person.roster_entries[0].source == "liaison"


def test_liaison_duplicate_outside_own_villages_does_not_link(client, post, town, make_user,
                                                              login_as, make_person):
    own = next(v for v in town.villages if v.name == "一村")
    foreign = next(v for v in town.villages if v.name == "二村")
    hidden = make_person(town, name="隐藏", village=foreign, id_number=VALID)
    login_as(make_user("village_liaison", town, [own]))
    page = text(post(f"/t/{town.code}/persons/new", data=_form(village_id=str(own.id))))
    assert "cannot be registered here" in page
    assert f"/persons/{hidden.id}" not in page and "隐藏" not in page and "二村" not in page


def test_editing_needs_the_permission(client, post, town, make_user, login_as, make_person,
                                      db_session):
    from portal.rosters.models import PovertyAssignment

    person = make_person(town, name="郑一")
    cadre = make_user("poverty_cadre", town)
    db_session.add(PovertyAssignment(township_id=town.id, user_id=cadre.id, person_id=person.id))
    db_session.flush()
    login_as(cadre)
    assert client.get(f"/t/{town.code}/persons/new").status_code == 403
    assert client.get(f"/t/{town.code}/persons/{person.id}/edit").status_code == 403


def test_edit_form_keeps_the_id_masked(client, post, town, staff, make_person, events,
                                       db_session):
    person = make_person(town, name="郑一", phone="13612345678")
    number = person.id_number
    page = text(client.get(f"/t/{town.code}/persons/{person.id}/edit"))
    assert number not in page
    assert idcard.mask(number) in page
    # The form shows the phones in clear, so opening it counts as a reveal.
    [event] = events("person.reveal")
    assert event.details == {"fields": ["phone", "guardian_phone"], "via": "edit"}
    form = _form(name="郑二", id_number="", phone="13612345678")
    assert post(f"/t/{town.code}/persons/{person.id}/edit", data=form).status_code == 302
    db_session.refresh(person)
    assert (person.name, person.id_number) == ("郑二", number)


def _without_csrf(page: str) -> str:
    return re.sub(r'(name="csrf[-_]token"[^>]*value|content)="[^"]*"', "", page)


def test_out_of_scope_answers_are_indistinguishable(client, post, town, make_township,
                                                     make_user, login_as, make_person):
    """A liaison cannot tell a number in another village from one in another township."""
    own = next(v for v in town.villages if v.name == "一村")
    foreign = next(v for v in town.villages if v.name == "二村")
    other = make_township()
    elsewhere = idcard.make("533103", date(1975, 2, 3), 77)
    make_person(town, name="隐藏", village=foreign, id_number=VALID)
    make_person(other, name="外乡", id_number=elsewhere)
    login_as(make_user("village_liaison", town, [own]))
    answers = []
    for number in (VALID, elsewhere):
        response = post(f"/t/{town.code}/persons/new",
                        data=_form(village_id=str(own.id), id_number=number))
        assert response.status_code == 200
        answers.append(_without_csrf(text(response)).replace(number, "NUMBER"))
    assert answers[0] == answers[1]
    assert "cannot be registered here" in answers[0]
