"""The rule "a category needs a passed training" and what recording a session refuses."""
import importlib.util
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.clock import local_today
from portal.doctors.services import CertificationData, save_certification
from portal.labels import LABELS
from portal.refusals import Refused
from portal.training.models import PriorQualification, TrainingSession
from portal.training.services import (
    SessionData,
    record_results,
    record_session,
    update_session,
)
from tests.training.conftest import session_form
from tests.training.helpers import pass_training

ROOT = Path(__file__).resolve().parents[2]


def _data(hospital, categories=("physical",), **overrides):
    today = local_today()
    values = {"number": "YN-R-001", "hospital_id": hospital.id, "categories": list(categories),
              "valid_from": today, "valid_until": today + timedelta(days=1000)}
    values.update(overrides)
    return CertificationData(**values)


def _session(actor, attendees, days_ago=2, categories=("physical",)):
    return record_session(actor, SessionData(
        held_on=local_today() - timedelta(days=days_ago), place="州医院", trainer="专家",
        categories=list(categories), attendee_ids=[a.id for a in attendees]))


def test_the_latest_result_of_each_session_counts_and_a_later_pass_qualifies(
        db_session, make_user, hospital):
    coordinator, doctor = make_user("health_coordinator"), make_user("doctor")
    pass_training(db_session, doctor, ["physical"], passed=False,
                  held_on=local_today() - timedelta(days=60))
    with pytest.raises(Refused) as refused:
        save_certification(doctor, coordinator, _data(hospital))
    assert refused.value.code == "training_failed" and refused.value.field == "categories"
    pass_training(db_session, doctor, ["physical"], held_on=local_today() - timedelta(days=5))
    cert = save_certification(doctor, coordinator, _data(hospital))
    assert cert.categories == ["physical"]


def test_results_wait_for_the_session_day(db_session, make_user):
    coordinator, doctor = make_user("health_coordinator"), make_user("doctor")
    session = _session(coordinator, [doctor], days_ago=-7)
    with pytest.raises(Refused) as refused:
        record_results(session, coordinator, {(doctor.id, "physical"): "passed"})
    assert refused.value.code == "training_results_too_early"
    assert session.attendees[0].results == []


def test_a_session_with_results_cannot_move_into_the_future(db_session, make_user):
    coordinator, doctor = make_user("health_coordinator"), make_user("doctor")
    session = _session(coordinator, [doctor])
    record_results(session, coordinator, {(doctor.id, "physical"): "passed"})
    with pytest.raises(Refused) as refused:
        update_session(session, coordinator, SessionData(
            held_on=local_today() + timedelta(days=3), place="州医院", trainer="专家",
            categories=["physical"], attendee_ids=[doctor.id]))
    assert refused.value.code == "training_date_after_results"
    assert refused.value.field == "held_on"


def test_results_only_for_attendees_and_categories_of_the_session(db_session, make_user):
    coordinator, doctor, outsider = (make_user("health_coordinator"), make_user("doctor"),
                                     make_user("doctor"))
    session = _session(coordinator, [doctor])
    for wanted in ({(outsider.id, "physical"): "passed"}, {(doctor.id, "vision"): "passed"},
                   {(doctor.id, "physical"): "excellent"}):
        with pytest.raises(Refused) as refused:
            record_results(session, coordinator, wanted)
        assert refused.value.code == "training_result_unknown"


def test_only_doctor_accounts_attend(db_session, make_user, make_township):
    coordinator = make_user("health_coordinator")
    staff = make_user("township_staff", make_township())
    with pytest.raises(Refused) as refused:
        _session(coordinator, [staff])
    assert refused.value.code == "training_attendee_not_doctor"
    assert db_session.scalars(select(TrainingSession)).all() == []


def test_a_former_doctor_stays_on_their_session_when_it_is_edited(db_session, make_user):
    from portal.auth.models import Membership

    coordinator, doctor, former = (make_user("health_coordinator"), make_user("doctor"),
                                   make_user("doctor"))
    session = _session(coordinator, [doctor, former])
    for membership in db_session.scalars(select(Membership).where(
            Membership.user_id == former.id)):
        db_session.delete(membership)
    db_session.flush()
    changes = update_session(session, coordinator, SessionData(
        held_on=session.held_on, place="另一地点", trainer="专家", categories=["physical"],
        attendee_ids=[doctor.id, former.id]))
    assert changes == {"place": "changed"}
    with pytest.raises(Refused) as refused:
        update_session(session, coordinator, SessionData(
            held_on=session.held_on, place="另一地点", trainer="专家",
            categories=["physical"], attendee_ids=[doctor.id, former.id, coordinator.id]))
    assert refused.value.code == "training_attendee_not_doctor"


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"attendees": []}, "attendees", "Choose at least one doctor who attended."),
    ({"categories": []}, "categories", "Choose at least one category."),
    ({"place": "  "}, "place", "Enter where the session was held."),
    ({"held_on": ""}, "held_on", "Enter a date."),
])
def test_the_session_form_says_what_is_missing_next_to_the_field(
        post, coordinator, make_user, db_session, overrides, field, words):
    doctor = make_user("doctor")
    data = session_form(attendees=[doctor])
    data.update(overrides)
    response = post("/city/training/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = page[page.index(f'id="{field}-error"'):]
    assert words in error[:400]
    assert db_session.scalars(select(TrainingSession)).all() == []


def test_a_planned_session_shows_no_results_to_save(client, post, coordinator, make_user):
    doctor = make_user("doctor")
    response = post("/city/training/new", data=session_form(attendees=[doctor], days_ago=-5))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="results-later"' in page and "Save the results" not in page
    assert "disabled" in page


def test_switching_a_certification_off_needs_no_training(db_session, make_user, certify,
                                                         hospital):
    coordinator, doctor = make_user("health_coordinator"), make_user("doctor")
    cert = certify(doctor, ["physical"])
    saved = save_certification(doctor, coordinator, _data(
        hospital, number=cert.number, valid_from=cert.valid_from,
        valid_until=cert.valid_until, active=False))
    assert saved.active is False


def test_a_category_carried_over_renews_but_a_new_one_needs_training(
        db_session, make_user, certify, hospital):
    coordinator, doctor = make_user("health_coordinator"), make_user("doctor")
    cert = certify(doctor, ["physical"], valid_until=local_today() - timedelta(days=3))
    db_session.add(PriorQualification(user_id=doctor.id, category="physical",
                                      certification_number=cert.number,
                                      recorded_on=local_today()))
    db_session.flush()
    renewed = save_certification(doctor, coordinator, _data(hospital, number=cert.number))
    assert renewed.valid_until > local_today()
    with pytest.raises(Refused) as refused:
        save_certification(doctor, coordinator, _data(
            hospital, number=cert.number, categories=["physical", "hearing"]))
    assert refused.value.code == "training_not_passed"
    assert str(refused.value.params["category"]) == str(LABELS["category"]["hearing"])


def _migration():
    path = next((ROOT / "migrations" / "versions").glob("*_doctor_training.py"))
    spec = importlib.util.spec_from_file_location("doctor_training_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_carries_over_every_certified_category(db_session, make_user, certify):
    """Certifications on record when training became required keep their categories."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    first, second = make_user("doctor"), make_user("doctor")
    certify(first, ["physical", "vision"])
    certify(second, ["mental"], active=False)
    context = MigrationContext.configure(db_session.connection())
    with Operations.context(context):
        _migration()._carry_over_certified_categories(PriorQualification.__table__)
    carried = {(p.user_id, p.category) for p in db_session.scalars(select(PriorQualification))}
    assert carried == {(first.id, "physical"), (first.id, "vision"), (second.id, "mental")}
