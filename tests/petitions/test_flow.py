"""End to end, through the pages: a petition received by phone is accepted, extended once with
another official's approval, answered and reviewed; between those steps the portal's clock moves
and its overdue moments show on the supervisor's overdue list and on the city dashboard."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.petitions.models import Petition, PetitionExtension
from tests.petitions.conftest import START, audits_of, events_of, text


def _step(post, base: str, petition_id: int, step: str, **fields):
    data = {f"{step}-{name}": value for name, value in fields.items()}
    return post(f"{base}/{petition_id}/steps/{step}", data)


def _overdue_on_the_board(client, sign_in, supervisor, reference: str) -> tuple[bool, str]:
    """Whether the supervisor's overdue list names the petition, and the dashboard's count."""
    sign_in(supervisor)
    listed = reference in text(client.get("/city/petitions/", query_string={"view": "overdue"}))
    board = text(client.get("/city/dashboard/"))
    start = board.index('class="petitions-overdue">') + len('class="petitions-overdue">')
    return listed, board[start:board.index("<", start)]


def test_phone_petition_accepted_extended_answered_reviewed_with_its_overdue_moments(
        world, clock, client, post, sign_in, db_session):
    base = f"/t/{world.a.code}/petitions"
    sign_in(world.staff)
    response = post(f"{base}/new", {
        "channel": "phone", "received_on": START.isoformat(), "petitioner_name": "岩温",
        "petitioner_phone": "13800138000", "category": "assessment", "township": world.a.id,
        "content": "评残等级与实际不符", "unit": f"township_dpf:{world.a.id}",
        "subject_unit": "", "case_number": str(world.case.id)})
    assert response.status_code == 302, text(response)[:3000]
    petition = db_session.scalars(select(Petition)).one()
    assert (petition.channel, petition.state, petition.case_id, petition.handler_id) == (
        "phone", "received", world.case.id, world.staff.id)
    assert petition.acceptance_due_on == START + timedelta(days=15)

    # Day 16: the acceptance is overdue, on the supervisor's list and the dashboard.
    clock.set(START + timedelta(days=16))
    assert _overdue_on_the_board(client, sign_in, world.supervisor, petition.reference) == (
        True, "1")

    sign_in(world.staff)
    response = _step(post, base, petition.id, "decide", decision="accept",
                     told_on=clock.today.isoformat(), told_how="phone")
    assert response.status_code == 303, text(response)[:3000]
    db_session.refresh(petition)
    accepted_on = clock.today
    assert petition.state == "accepted"
    assert petition.answer_due_on == accepted_on + timedelta(days=60)
    assert _overdue_on_the_board(client, sign_in, world.supervisor, petition.reference) == (
        False, "0")

    # Near the end of the 60 days the office asks for the one extension; another official of
    # the approving role (the city DPF) approves it.
    clock.set(accepted_on + timedelta(days=55))
    sign_in(world.staff)
    response = _step(post, base, petition.id, "extend", days="30",
                     reason="需要组织专家复核病历")
    assert response.status_code == 303, text(response)[:3000]
    sign_in(world.approver)
    response = _step(post, "/city/petitions", petition.id, "extension", decision="approve")
    assert response.status_code == 303, text(response)[:3000]
    db_session.refresh(petition)
    assert petition.answer_due_on == accepted_on + timedelta(days=90)
    approved = db_session.scalars(select(PetitionExtension)).one()
    assert (approved.status, approved.decided_by_id, approved.requested_by_id) == (
        "approved", world.approver.id, world.staff.id)

    # A second extension is refused, next to the field, and nothing is written.
    sign_in(world.staff)
    response = _step(post, base, petition.id, "extend", days="10", reason="还需要时间")
    assert response.status_code == 400
    assert 'id="extend-days-error"' in text(response)
    assert db_session.scalars(select(PetitionExtension)).all() == [approved]

    # The extended limit passes: overdue again.
    clock.set(petition.answer_due_on + timedelta(days=1))
    assert _overdue_on_the_board(client, sign_in, world.supervisor, petition.reference) == (
        True, "1")

    sign_in(world.staff)
    response = _step(post, base, petition.id, "answer", text="经复核，维持原评定结论。")
    assert response.status_code == 303
    db_session.refresh(petition)
    answered_on = clock.today
    assert (petition.state, petition.answered_on, petition.answered_by_id) == (
        "answered", answered_on, world.staff.id)
    assert _overdue_on_the_board(client, sign_in, world.supervisor, petition.reference) == (
        False, "0")

    # The petitioner phones the township within 30 days and asks for a review: it goes to the
    # city DPF, which answers it (not the official who answered).
    clock.set(answered_on + timedelta(days=20))
    sign_in(world.staff)
    response = _step(post, base, petition.id, "review", reason="不服答复，请求复查")
    assert response.status_code == 303, text(response)[:3000]
    db_session.refresh(petition)
    assert (petition.state, petition.unit_kind, petition.review_due_on) == (
        "under_review", "city_dpf", clock.today + timedelta(days=30))
    clock.set(petition.review_due_on + timedelta(days=1))
    assert _overdue_on_the_board(client, sign_in, world.supervisor, petition.reference) == (
        True, "1")
    sign_in(world.city)
    response = _step(post, "/city/petitions", petition.id, "review_answer",
                     text="复查维持原答复意见。")
    assert response.status_code == 303, text(response)[:3000]
    db_session.refresh(petition)
    assert (petition.state, petition.reviewed_by_id) == ("reviewed", world.city.id)

    steps = ["received", "accepted", "extension_requested", "extension_approved", "answered",
             "review_requested", "reviewed"]
    assert events_of(db_session, petition) == steps
    assert [a for a in audits_of(db_session, petition) if not a.endswith("_viewed")] == [
        f"petition.{s}" for s in steps]
    page = text(client.get(f"/city/petitions/{petition.id}"))
    assert "复查维持原答复意见。" in page and page.count('class="border-start ps-2 mb-2"') == 7


def test_the_dashboard_card_and_the_lists_count_what_the_user_sees(
        world, clock, client, sign_in, english):
    world.petition(received_on=START)  # township A's DPF
    world.petition(township=world.b, received_on=START, actor=world.staff_b)
    world.petition(about_staff=True, received_on=START)  # city DPF
    clock.set(START + timedelta(days=13))  # 2 days left for all three
    sign_in(world.supervisor)
    board = text(english.get("/city/dashboard/"))
    assert 'class="petitions-open">3<' in board and 'class="petitions-due-soon">3<' in board
    sign_in(world.staff)
    page = text(english.get(f"/t/{world.a.code}/petitions/", query_string={"view": "due_soon"}))
    assert page.count('class="petition-row') == 1  # B's and the one about A's staff are not
    clock.set(date(2026, 3, 20))
    page = text(english.get(f"/t/{world.a.code}/petitions/", query_string={"view": "overdue"}))
    assert page.count('class="petition-row table-danger overdue"') == 1
    assert "overdue by 3 days" in page
