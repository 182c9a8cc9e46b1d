"""The steps after receipt and their refusals (one `Refused` each, with its code): the one
extension of at most 30 days approved by another official of the approving role, the review
asked for within 30 days and answered by someone else, transfers and escalations with reasons."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.petitions import steps
from portal.reference.models import Hospital
from portal.refusals import Refused
from tests.petitions.conftest import access, audits_of, events_of, text


def _refused(code: str, fn, *args, **kwargs) -> Refused:
    with pytest.raises(Refused) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code, caught.value.code
    return caught.value


@pytest.fixture
def accepted(world, clock, db_session):
    """A petition of township A's DPF, accepted today; the staff's and the city's access."""
    petition = world.petition()
    staff = access(world.staff, world.a)
    steps.decide_acceptance(petition, staff, world.staff, accept=True, note="",
                            told_on=clock.today, told_how="phone")
    db_session.flush()
    return petition, staff, access(world.city), access(world.approver)


def test_acceptance_is_decided_by_the_handlers_with_the_day_the_petitioner_was_told(
        world, clock, db_session):
    petition = world.petition()
    staff, other = access(world.staff, world.a), access(world.staff_b, world.b)
    _refused("petition_not_handler", steps.decide_acceptance, petition, other, world.staff_b,
             accept=True, note="", told_on=clock.today, told_how="phone")
    _refused("petition_reason_required", steps.decide_acceptance, petition, staff, world.staff,
             accept=False, note=" ", told_on=clock.today, told_how="phone")
    _refused("petition_told_date", steps.decide_acceptance, petition, staff, world.staff,
             accept=True, note="", told_on=clock.today + timedelta(days=1), told_how="phone")
    _refused("petition_wrong_state", steps.answer, petition, staff, world.staff, text="答复")
    steps.decide_acceptance(petition, staff, world.staff, accept=False, note="不属于受理范围",
                            told_on=clock.today, told_how="letter")
    assert (petition.state, petition.due_on) == ("not_accepted", None)
    assert events_of(db_session, petition) == ["received", "not_accepted"]


def test_one_extension_of_at_most_30_days_approved_by_another_official(
        world, clock, accepted, db_session):
    petition, staff, _city, approver = accepted
    due = petition.answer_due_on
    _refused("petition_extension_days_max", steps.request_extension, petition, staff,
             world.staff, days=31, reason="复杂")
    _refused("petition_extension_days_min", steps.request_extension, petition, staff,
             world.staff, days=0, reason="复杂")
    _refused("petition_reason_required", steps.request_extension, petition, staff,
             world.staff, days=10, reason="")
    steps.request_extension(petition, staff, world.staff, days=30, reason="需专家会诊")
    _refused("petition_extension_pending", steps.request_extension, petition, staff,
             world.staff, days=5, reason="再延")
    # The township's other official is not the approving role; neither is the health bureau.
    _refused("petition_approver_role", steps.decide_extension, petition,
             access(world.other_staff, world.a), world.other_staff, approve=True)
    _refused("petition_approver_role", steps.decide_extension, petition,
             access(world.health), world.health, approve=True)
    _refused("petition_reason_required", steps.decide_extension, petition, approver,
             world.approver, approve=False, note="")
    steps.decide_extension(petition, approver, world.approver, approve=True)
    assert petition.answer_due_on == petition.due_on == due + timedelta(days=30)
    assert petition.extension_days == 30
    _refused("petition_extended_once", steps.request_extension, petition, staff, world.staff,
             days=1, reason="再次延期")
    _refused("petition_extension_none", steps.decide_extension, petition, approver,
             world.approver, approve=True)


def test_the_asker_never_approves_their_own_extension(world, clock, db_session):
    petition = world.petition(unit=world.Unit("city_dpf"), actor=world.city)
    city = access(world.city)
    steps.decide_acceptance(petition, city, world.city, accept=True, note="",
                            told_on=clock.today, told_how="phone")
    steps.request_extension(petition, city, world.city, days=20, reason="需调查")
    _refused("petition_approver_self", steps.decide_extension, petition, city, world.city,
             approve=True)
    steps.decide_extension(petition, access(world.approver), world.approver, approve=False,
                           note="理由不足")
    assert petition.extension_days == 0
    # Declined is not an extension: another may be asked for and approved.
    steps.request_extension(petition, city, world.city, days=20, reason="补充理由")
    steps.decide_extension(petition, access(world.approver), world.approver, approve=True)
    assert petition.extension_days == 20


def test_a_hospitals_petition_is_approved_by_the_health_bureau(world, clock, db_session):
    hospital = Hospital(name="芒市人民医院")
    db_session.add(hospital)
    db_session.flush()
    petition = world.petition(unit=world.Unit("hospital", hospital_id=hospital.id),
                              actor=world.health)
    health = access(world.health)
    steps.decide_acceptance(petition, health, world.health, accept=True, note="",
                            told_on=clock.today, told_how="phone")
    steps.request_extension(petition, health, world.health, days=15, reason="需会诊")
    _refused("petition_approver_role", steps.decide_extension, petition, access(world.city),
             world.city, approve=True)
    steps.decide_extension(petition, access(world.other_health), world.other_health,
                           approve=True)
    assert petition.extension_days == 15


def test_an_extension_is_asked_for_before_the_time_runs_out(world, clock, accepted):
    petition, staff, _city, _approver = accepted
    clock.set(petition.answer_due_on + timedelta(days=1))
    _refused("petition_extension_too_late", steps.request_extension, petition, staff,
             world.staff, days=10, reason="来不及")


def test_answering_withdraws_a_pending_extension(world, clock, accepted, db_session):
    petition, staff, _city, _approver = accepted
    steps.request_extension(petition, staff, world.staff, days=10, reason="需要时间")
    steps.answer(petition, staff, world.staff, text="已处理")
    assert [x.status for x in petition.extensions] == ["withdrawn"]
    assert events_of(db_session, petition)[-2:] == ["extension_withdrawn", "answered"]


def test_review_within_30_days_answered_by_another_official(world, clock, db_session):
    petition = world.petition(unit=world.Unit("city_dpf"), actor=world.city)
    city = access(world.city)
    steps.decide_acceptance(petition, city, world.city, accept=True, note="",
                            told_on=clock.today, told_how="phone")
    steps.answer(petition, city, world.city, text="答复意见")
    clock.set(petition.answered_on + timedelta(days=31))
    refusal = _refused("petition_review_too_late", steps.request_review, petition, city,
                       world.city, reason="不服")
    assert petition.review_until.isoformat() in refusal.message
    clock.set(petition.answered_on + timedelta(days=30))
    steps.request_review(petition, city, world.city, reason="不服")
    assert (petition.state, petition.unit_kind) == ("under_review", "city_dpf")
    _refused("petition_review_same_official", steps.answer_review, petition, city, world.city,
             text="复查意见")
    steps.answer_review(petition, access(world.approver), world.approver, text="复查意见")
    assert petition.state == "reviewed" and petition.due_on is None


def test_transfer_and_escalation_need_a_reason_and_go_on_the_timeline(world, accepted,
                                                                      db_session):
    petition, staff, city, _approver = accepted
    _refused("petition_reason_required", steps.transfer, petition, staff, world.staff,
             to=world.Unit("health_bureau"), reason="")
    _refused("petition_same_unit", steps.transfer, petition, staff, world.staff,
             to=world.Unit("township_dpf", township_id=world.a.id), reason="同单位")
    steps.take(petition, staff, world.staff)
    assert petition.handler_id == world.staff.id
    steps.transfer(petition, staff, world.staff, escalate=True, to=None, reason="涉及全市政策")
    assert (petition.unit_kind, petition.unit_township_id, petition.handler_id) == (
        "city_dpf", None, None)
    _refused("petition_escalate_top", steps.transfer, petition, city, world.city, to=None,
             reason="再上", escalate=True)
    _refused("petition_not_handler", steps.transfer, petition, access(world.health),
             world.health, to=world.Unit("health_bureau"), reason="转卫健")
    steps.transfer(petition, city, world.city, to=world.Unit("health_bureau"), reason="属医疗")
    assert events_of(db_session, petition)[-3:] == ["taken", "escalated", "transferred"]
    assert audits_of(db_session, petition)[-3:] == [
        "petition.taken", "petition.escalated", "petition.transferred"]
    escalated = petition.events[-2]
    assert (escalated.note, escalated.details["from_unit"], escalated.details["to_unit"]) == (
        "涉及全市政策", f"township_dpf:{world.a.id}", "city_dpf")


def test_a_refused_step_on_the_page_writes_nothing_and_shows_the_reason(
        world, accepted, client, post, sign_in, db_session):
    petition, *_ = accepted
    before = events_of(db_session, petition)
    sign_in(world.staff)
    response = post(f"/t/{world.a.code}/petitions/{petition.id}/steps/extend",
                    {"extend-days": "45", "extend-reason": "需要更多时间"})
    assert response.status_code == 400
    page = text(response)
    assert 'id="extend-days-error"' in page and "30" in page
    assert events_of(db_session, petition) == before
    response = post(f"/t/{world.a.code}/petitions/{petition.id}/steps/transfer",
                    {"transfer-unit": "health_bureau", "transfer-reason": ""})
    assert response.status_code == 400 and 'id="transfer-reason-error"' in text(response)
    assert post(f"/t/{world.a.code}/petitions/{petition.id}/steps/nothing",
                {}).status_code == 404
    # Transferred away from the township's DPF, the petition stays visible (it concerns the
    # township) and the page says where it went.
    response = post(f"/t/{world.a.code}/petitions/{petition.id}/steps/transfer",
                    {"transfer-unit": "health_bureau", "transfer-reason": "属医疗问题"},
                    follow_redirects=True)
    assert response.status_code == 200
    assert 'class="petitioner-hidden"' in text(response)
