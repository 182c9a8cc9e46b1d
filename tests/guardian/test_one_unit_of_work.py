"""A guardian's upload is two services in one request: the evidence (the object written to the
store, then its row and audit event) and the guardian's own record of it. When the second one
refuses or fails, the request's unit of work leaves nothing behind: no row, no audit event and
no object in the store (portal/uow.py, after_rollback in portal/evidence/services.py)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, select

from portal.audit.models import AuditEvent
from portal.evidence.models import Evidence
from portal.evidence.services import get_store
from portal.guardian import services as guardian_services
from portal.guardian.models import GuardianUpload
from portal.refusals import Refused
from tests.guardian.conftest import JPEG
from tests.guardian.test_portal import _send, guardian  # noqa: F401 (fixture)


def _left_behind(db_session, case) -> dict:
    def count(stmt):
        return db_session.scalar(select(func.count()).select_from(stmt.subquery()))

    return {
        "evidence": count(select(Evidence.id).where(Evidence.case_id == case.id)),
        "guardian_uploads": count(select(GuardianUpload.id)
                                  .where(GuardianUpload.case_id == case.id)),
        "audit": count(select(AuditEvent.id).where(
            AuditEvent.action.in_(("evidence.upload", "guardian.upload")))),
    }


@pytest.fixture
def second_step_fails(monkeypatch):
    """Make the guardian's record (the second service) refuse or fail, once asked to."""

    def _arm(how: str):
        if how == "refused":
            original = guardian_services.record_event

            def refuse(action, *args, **kwargs):
                if action == "guardian.upload":
                    raise Refused("not_allowed_now")
                return original(action, *args, **kwargs)

            monkeypatch.setattr(guardian_services, "record_event", refuse)
            return lambda: monkeypatch.setattr(guardian_services, "record_event", original)

        def fail(mapper, connection, target):
            raise sa.exc.OperationalError("INSERT INTO guardian_uploads", {},
                                          Exception("disk I/O error"))

        event.listen(GuardianUpload, "before_insert", fail)
        return lambda: event.remove(GuardianUpload, "before_insert", fail)

    return _arm


@pytest.mark.parametrize("how", ["refused", "error"])
def test_a_failure_after_the_evidence_leaves_no_row_and_no_object(
        guardian, place, app, db_session, second_step_fails, how):  # noqa: F811
    store = get_store(app)
    objects_before = set(store.iter_keys("townships/"))
    disarm = second_step_fails(how)
    try:
        response = _send(guardian, place.case, "id_card", JPEG, "id.jpg")
    finally:
        disarm()
    text = response.get_data(as_text=True)
    if how == "refused":  # shown next to the file field; the request rolled back
        assert response.status_code == 200 and "This step is not allowed now." in text
    else:
        assert response.status_code == 503
        assert "The portal cannot reach its database just now, so nothing was saved." in text
    assert _left_behind(db_session, place.case) == {
        "evidence": 0, "guardian_uploads": 0, "audit": 0}
    assert set(store.iter_keys("townships/")) == objects_before  # no orphan object
    # Nothing half-done stands in the way: the same upload goes through once, whole.
    assert _send(guardian, place.case, "id_card", JPEG, "id.jpg").status_code == 302
    assert _left_behind(db_session, place.case) == {
        "evidence": 1, "guardian_uploads": 1, "audit": 2}
    kept = db_session.scalar(select(Evidence.object_key).where(
        Evidence.case_id == place.case.id))
    assert set(store.iter_keys("townships/")) == objects_before | {kept}
