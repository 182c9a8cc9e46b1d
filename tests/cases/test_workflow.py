"""The case workflow through the services: states, permissions, dates, events, appeals."""
from __future__ import annotations

from datetime import date

import pytest

from portal.cases.models import CASE_STATES
from portal.cases.services import (
    create_case,
    record_appeal,
    take_step,
)
from portal.cases.workflow import BY_ACTION, apply_transition
from portal.domain.certificate import make_number
from portal.refusals import Refused
from portal.rosters.models import Guardianship
from tests.cases.helpers import access, audits_of, events_of, place

D = date.fromisoformat
OUTCOME = {"category": "physical", "grade": 2}


def _step(case, action, user, township=None, **kwargs):
    return take_step(case, action, actor=user, access=access(user, township), **kwargs)


# --- the transition table ----------------------------------------------------------------

@pytest.mark.parametrize("action", sorted(BY_ACTION))
def test_every_transition_is_refused_from_a_wrong_state(action, world):
    """From each state outside its sources, a transition is refused and changes nothing."""
    transition = BY_ACTION[action]
    case = world.new_case(**OUTCOME)
    for state in CASE_STATES:
        if state in transition.sources:
            continue
        place(case, state)
        with pytest.raises(Refused) as refused:
            apply_transition(case, action, actor=world.city, access=access(world.city),
                             note="n", today=D("2020-09-30"))
        assert refused.value.code == "wrong_state"
        assert case.state == state


@pytest.mark.parametrize(("role_user", "action", "state"), [
    ("staff", "approve", "under_review"),
    ("staff", "refuse", "under_review"),
    ("staff", "record_final_qualified", "not_qualified"),
    ("liaison", "start_publicity", "assessed"),
    ("liaison", "withdraw", "registered"),
    ("supervisor", "start_publicity", "assessed"),
    ("supervisor", "approve", "under_review"),
    ("doctor", "end_publicity", "publicity"),
    ("doctor", "approve", "under_review"),
])
def test_permission_refusals(role_user, action, state, world):
    """A role without the transition's permission is refused whatever the case looks like."""
    case = world.new_case(state, doctor_id=world.doctor.id, **OUTCOME)
    user = getattr(world, role_user)
    township = None if role_user == "supervisor" else world.township
    with pytest.raises(Refused) as refused:
        _step(case, action, user, township, note="n", today=D("2020-09-30"))
    assert refused.value.code == "not_permitted"
    assert case.state == state


def test_happy_path_writes_a_case_event_and_an_audit_event_per_change(world, db_session):
    """Registration and every transition leave one timeline event and one audit event."""
    case = world.new_case("assessed", doctor_id=world.doctor.id, **OUTCOME)
    _step(case, "start_publicity", world.staff, world.township, today=D("2020-09-30"))
    _step(case, "end_publicity", world.staff, world.township, today=D("2020-10-15"))
    _step(case, "approve", world.approver, today=D("2020-10-16"))
    events = events_of(db_session, case)
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("register", None, "registered"),
        ("start_publicity", "assessed", "publicity"),
        ("end_publicity", "publicity", "under_review"),
        ("approve", "under_review", "approved"),
    ]
    assert [e.actor_id for e in events] == [world.staff.id, world.staff.id, world.staff.id,
                                            world.approver.id]
    audits = audits_of(db_session, case)
    assert [a.action for a in audits] == ["case.create", "case.start_publicity",
                                          "case.end_publicity", "case.approve"]
    assert audits[-1].details == {"from": "under_review", "to": "approved"}
    assert world.person.id_number not in str([a.details for a in audits])


def test_refused_transition_writes_nothing(world, db_session):
    case = world.new_case("publicity", publicity_ends_on=D("2020-10-14"))
    before = (len(events_of(db_session, case)), len(audits_of(db_session, case)))
    with pytest.raises(Refused):
        _step(case, "end_publicity", world.staff, world.township, today=D("2020-10-14"))
    assert (len(events_of(db_session, case)), len(audits_of(db_session, case))) == before


# --- public notice and review dates ------------------------------------------------------

def test_publicity_across_national_day(world):
    """Posted 2020-09-30: the 5 working days after it skip 1-8 October, end 2020-10-14."""
    case = world.new_case("assessed", **OUTCOME)
    _step(case, "start_publicity", world.staff, world.township, today=D("2020-09-30"))
    assert (case.publicity_starts_on, case.publicity_ends_on) == (D("2020-09-30"),
                                                                   D("2020-10-14"))
    with pytest.raises(Refused) as refused:
        _step(case, "end_publicity", world.staff, world.township, today=D("2020-10-14"))
    assert refused.value.code == "publicity_not_over"
    _step(case, "end_publicity", world.staff, world.township, today=D("2020-10-15"))
    # Review: 10 working days after 15 Oct (16, 19-23, 26-29).
    assert (case.state, case.review_due_on) == ("under_review", D("2020-10-29"))


def test_publicity_counts_the_make_up_saturday(world):
    """Posted Friday 2020-10-09: Saturday 10 Oct is a make-up working day, so 15 Oct ends it."""
    case = world.new_case("assessed", **OUTCOME)
    _step(case, "start_publicity", world.staff, world.township, today=D("2020-10-08"),
          starts_on=D("2020-10-09"))
    assert case.publicity_ends_on == D("2020-10-15")


@pytest.mark.parametrize(("start", "code"), [
    ("2020-09-29", "late_reason_required"), ("2020-09-22", "date_too_old"),
    ("2020-10-31", "publicity_start_too_late")])
def test_publicity_start_date_is_checked(start, code, world):
    case = world.new_case("assessed", **OUTCOME)
    with pytest.raises(Refused) as refused:
        _step(case, "start_publicity", world.staff, world.township, today=D("2020-09-30"),
              starts_on=D(start))
    assert refused.value.code == code


def test_publicity_needs_a_grade(world):
    case = world.new_case("assessed", not_disabled_reason="below grade 4")
    with pytest.raises(Refused) as refused:
        _step(case, "start_publicity", world.staff, world.township, today=D("2020-09-30"))
    assert refused.value.code == "outcome_not_qualifying"


def test_approval_stores_the_certificate_number_and_certifies_the_entry(world):
    case = world.new_case("under_review", doctor_id=world.doctor.id, **OUTCOME)
    _step(case, "approve", world.approver, today=D("2020-10-16"))
    assert case.certificate_number == world.person.id_number + "42"
    assert case.certificate_number == make_number(world.person.id_number, "physical", 2)
    assert case.approved_by_id == world.approver.id and case.approved_at is not None
    assert case.roster_entry.status == "certified"


# --- separation of duties ------------------------------------------------------------------

@pytest.mark.parametrize("action", ["approve", "refuse"])
@pytest.mark.parametrize(("who", "code"), [
    ("doctor", "approver_is_doctor"),
    ("second_doctor", "approver_is_doctor"),
    ("creator", "approver_is_creator"),
    ("guardian", "approver_is_guardian"),
])
def test_approver_independence(action, who, code, world, make_user, db_session):
    """No favour certificates: doctor, second doctor, creator or guardian cannot decide."""
    official = make_user("city_admin")
    case = world.new_case("under_review", creator=official if who == "creator" else None,
                          doctor_id=official.id if who == "doctor" else world.doctor.id,
                          second_doctor_id=official.id if who == "second_doctor" else None,
                          **OUTCOME)
    if who == "guardian":
        db_session.add(Guardianship(township_id=world.township.id, user_id=official.id,
                                    person_id=world.person.id))
        db_session.flush()
    with pytest.raises(Refused) as refused:
        _step(case, action, official, note="reason", today=D("2020-10-16"))
    assert refused.value.code == code
    assert case.state == "under_review" and case.certificate_number is None
    _step(case, action, world.approver, note="reason", today=D("2020-10-16"))
    assert case.state == ("approved" if action == "approve" else "not_qualified")


def test_refusal_needs_a_reason(world):
    case = world.new_case("under_review", **OUTCOME)
    with pytest.raises(Refused) as refused:
        _step(case, "refuse", world.approver, note="  ")
    assert refused.value.code == "note_required"


# --- not qualified and appeals ---------------------------------------------------------------

def test_not_qualified_notification_sets_the_appeal_window(world):
    case = world.new_case("assessed", not_disabled_reason="hearing 35 dB")
    _step(case, "notify_not_qualified", world.staff, world.township, today=D("2020-09-30"))
    # 10 working days after 30 Sep: 9, 10 (make-up Saturday), 12-16, 19-21 Oct.
    assert (case.state, case.notified_on, case.appeal_due_on) == (
        "not_qualified", D("2020-09-30"), D("2020-10-21"))
    assert case.roster_entry.status == "not_qualified"
    with pytest.raises(Refused) as refused:
        _step(case, "notify_not_qualified", world.staff, world.township, today=D("2020-10-01"))
    assert refused.value.code == "already_notified"


def test_a_qualifying_result_cannot_be_notified_as_not_qualified(world):
    case = world.new_case("assessed", **OUTCOME)
    with pytest.raises(Refused) as refused:
        _step(case, "notify_not_qualified", world.staff, world.township)
    assert refused.value.code == "outcome_qualifying"


def test_city_refusal_is_notified_afterwards(world):
    case = world.new_case("under_review", **OUTCOME)
    _step(case, "refuse", world.approver, note="records contradict", today=D("2020-10-16"))
    assert case.notified_on is None
    _step(case, "notify_not_qualified", world.staff, world.township, today=D("2020-10-19"),
          notified_on=D("2020-10-19"))
    assert case.appeal_due_on == D("2020-11-02")  # 20-23, 26-30 Oct, 2 Nov


def _not_qualified(world, notified="2020-09-30"):
    return world.new_case("not_qualified", doctor_id=world.doctor.id,
                          second_doctor_id=world.second_doctor.id, not_disabled_reason="r",
                          notified_on=D(notified), appeal_due_on=D("2020-10-21"))


def test_appeal_on_the_last_day_is_accepted(world, db_session):
    case = _not_qualified(world)
    new = record_appeal(case, actor=world.staff, access=access(world.staff, world.township),
                        note="disputes the grade", today=D("2020-10-21"))
    assert case.state == "appealed"
    assert (new.city_level, new.appeal_of_id, new.state, new.kind) == (True, case.id,
                                                                      "registered", "issue")
    assert new.roster_entry_id == case.roster_entry_id
    assert case.roster_entry.status == "in_progress"
    assert [e.action for e in events_of(db_session, case)][-1] == "appeal"


def test_appeal_on_the_next_working_day_is_refused(world):
    case = _not_qualified(world)
    with pytest.raises(Refused) as refused:
        record_appeal(case, actor=world.staff, access=access(world.staff, world.township),
                      note="late", today=D("2020-10-22"))
    assert refused.value.code == "appeal_window_closed"
    assert case.state == "not_qualified"


def test_appeal_needs_the_notification_first(world):
    case = world.new_case("not_qualified", not_disabled_reason="r")
    with pytest.raises(Refused) as refused:
        record_appeal(case, actor=world.city, access=access(world.city), note="x",
                      today=D("2020-10-01"))
    assert refused.value.code == "not_notified"


def test_a_city_re_assessment_is_not_appealed_to_the_city_again(world):
    original = _not_qualified(world)
    appeal = record_appeal(original, actor=world.staff,
                           access=access(world.staff, world.township), note="x",
                           today=D("2020-10-09"))
    place(appeal, "not_qualified", notified_on=D("2020-11-02"),
          appeal_due_on=D("2020-11-16"), not_disabled_reason="r")
    with pytest.raises(Refused) as refused:
        record_appeal(appeal, actor=world.staff, access=access(world.staff, world.township),
                      note="again", today=D("2020-11-03"))
    assert refused.value.code == "appeal_goes_to_province"


@pytest.mark.parametrize("action", ["record_assessment", "schedule"])
def test_appeal_needs_a_different_doctor(action, world):
    """Neither the first nor the second doctor of the appealed case re-assesses it."""
    original = _not_qualified(world)
    appeal = record_appeal(original, actor=world.staff,
                           access=access(world.staff, world.township), note="x",
                           today=D("2020-10-09"))
    for banned in (world.doctor, world.second_doctor):
        appeal.doctor_id = banned.id
        user = banned if action == "record_assessment" else world.staff
        with pytest.raises(Refused) as refused:
            apply_transition(appeal, action, actor=user, access=access(user, world.township),
                             doctor_id=banned.id)
        assert refused.value.code == "same_doctor_as_appealed_case"
    appeal.doctor_id = world.other_doctor.id
    user = world.other_doctor if action == "record_assessment" else world.staff
    try:
        apply_transition(appeal, action, actor=user, access=access(user, world.township),
                         doctor_id=world.other_doctor.id)
    except Refused as refused:  # other areas' rules (certification) may still apply
        assert refused.code != "same_doctor_as_appealed_case"


def test_the_different_doctor_rule_only_concerns_appeals(world):
    case = world.new_case(doctor_id=world.doctor.id)
    apply_transition(case, "schedule", actor=world.staff,
                     access=access(world.staff, world.township), doctor_id=world.doctor.id)
    assert case.state == "scheduled"


def test_provincial_decision_not_qualified_is_final(world):
    original = _not_qualified(world)
    appeal = record_appeal(original, actor=world.staff,
                           access=access(world.staff, world.township), note="x",
                           today=D("2020-10-09"))
    place(appeal, "not_qualified", not_disabled_reason="r", notified_on=D("2020-11-02"),
          appeal_due_on=D("2020-11-16"))
    with pytest.raises(Refused):
        _step(appeal, "record_final_not_qualified", world.city, note="")
    _step(appeal, "record_final_not_qualified", world.city,
          note="Provincial expert committee, decision 2020-12")
    assert (appeal.state, appeal.final, appeal.grade) == ("closed", True, None)
    assert appeal.not_disabled_reason.startswith("Provincial")
    assert appeal.roster_entry.status == "not_qualified"


def test_provincial_decision_qualified_goes_to_approval(world):
    original = _not_qualified(world)
    appeal = record_appeal(original, actor=world.staff,
                           access=access(world.staff, world.township), note="x",
                           today=D("2020-10-09"))
    place(appeal, "not_qualified", not_disabled_reason="r")
    with pytest.raises(Refused) as refused:
        _step(appeal, "record_final_qualified", world.city, note="decision")
    assert refused.value.code == "final_grade_missing"
    _step(appeal, "record_final_qualified", world.city, note="decision", category="hearing",
          grade=3, today=D("2020-12-01"))
    assert (appeal.state, appeal.final, appeal.category, appeal.grade) == (
        "under_review", True, "hearing", 3)
    assert appeal.review_due_on == D("2020-12-15")
    _step(appeal, "approve", world.approver)
    assert appeal.certificate_number == world.person.id_number + "23"


def test_only_city_level_cases_take_a_provincial_decision(world):
    case = _not_qualified(world)
    with pytest.raises(Refused) as refused:
        _step(case, "record_final_not_qualified", world.city, note="decision")
    assert refused.value.code == "not_city_level"


def test_close_waits_for_the_appeal_window(world):
    case = _not_qualified(world)
    with pytest.raises(Refused) as refused:
        _step(case, "close", world.staff, world.township, today=D("2020-10-21"))
    assert refused.value.code == "appeal_window_open"
    _step(case, "close", world.staff, world.township, today=D("2020-10-22"))
    assert case.state == "closed"


# --- creation, withdrawal, death ---------------------------------------------------------------

def test_second_open_case_is_refused(world):
    world.new_case()
    with pytest.raises(Refused) as refused:
        create_case(world.township, world.staff, world.person, kind="issue", path="video")
    assert refused.value.code == "open_case_exists"


def test_new_case_after_the_last_one_ended(world):
    first = world.new_case()
    _step(first, "withdraw", world.staff, world.township, note="moved away")
    assert first.roster_entry.status == "withdrawn"
    second = create_case(world.township, world.staff, world.person, kind="issue",
                         path="home_visit")
    assert second.state == "registered" and second.roster_entry.status == "in_progress"


def test_withdrawal_needs_a_note(world):
    case = world.new_case()
    with pytest.raises(Refused) as refused:
        _step(case, "withdraw", world.staff, world.township, note="")
    assert refused.value.code == "note_required"


def test_death_ends_the_case_and_marks_the_person(world):
    case = world.new_case("publicity")
    _step(case, "record_death", world.staff, world.township)
    assert (case.state, world.person.deceased, case.roster_entry.status) == (
        "deceased", True, "deceased")
    with pytest.raises(Refused) as refused:
        create_case(world.township, world.staff, world.person, kind="issue", path="video")
    assert refused.value.code == "person_deceased"
