"""An appeal through the case page is two services in one request: the appeal step on the
refused case (state, timeline, audit), then the city-level case it opens. When the second one
refuses, the request's unit of work (portal/uow.py) leaves nothing of the first behind."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.cases.models import Case, CaseEvent
from portal.clock import local_today
from portal.domain.workdays import add_workdays
from tests.cases.helpers import text


def _left_behind(db_session, case) -> dict:
    def count(stmt):
        return db_session.scalar(select(func.count()).select_from(stmt.subquery()))

    db_session.expire_all()
    return {
        "state": db_session.get(Case, case.id).state,
        "appeal_cases": count(select(Case.id).where(Case.appeal_of_id == case.id)),
        "appeal_events": count(select(CaseEvent.id).where(CaseEvent.case_id == case.id,
                                                          CaseEvent.action == "appeal")),
        "audit": count(select(AuditEvent.id).where(
            AuditEvent.action.in_(("case.appeal", "case.create")))),
    }


def test_a_refused_new_case_takes_the_appeal_back(world, client, post, login_as, db_session):
    today = local_today()
    case = world.new_case("not_qualified", not_disabled_reason="r", notified_on=today,
                          appeal_due_on=add_workdays(today, 10))
    audit_before = _left_behind(db_session, case)["audit"]
    world.person.deceased = True  # the appeal step is allowed; the new case is refused
    db_session.flush()
    login_as(world.staff)
    url = f"/t/{world.township.code}/cases/{case.id}/steps/appeal"
    response = post(url, data={"note": "disputes", "path": "records"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    page = text(client.get(response.headers["Location"]))
    assert "This person is recorded as deceased." in page
    assert _left_behind(db_session, case) == {
        "state": "not_qualified", "appeal_cases": 0, "appeal_events": 0,
        "audit": audit_before}
    # Nothing half-done stands in the way: the same appeal goes through once, whole.
    world.person.deceased = False
    db_session.flush()
    assert post(url, data={"note": "disputes", "path": "records"}).status_code == 302
    assert _left_behind(db_session, case) == {
        "state": "appealed", "appeal_cases": 1, "appeal_events": 1,
        "audit": audit_before + 2}
