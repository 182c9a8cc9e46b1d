"""Writing audit events."""
from flask import has_request_context, request

from portal.audit.models import AuditEvent
from portal.extensions import db


def record_event(
    action: str,
    *,
    actor=None,
    township_id: int | None = None,
    obj=None,
    object_type: str | None = None,
    object_id: int | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Add one audit event to the session (the caller's commit makes it durable)."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
        if township_id is None:
            township_id = getattr(obj, "township_id", None)
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        township_id=township_id,
        object_type=object_type or "",
        object_id=object_id,
        details=details or {},
        ip=(request.remote_addr or "")[:45] if has_request_context() else "",
    )
    db.session.add(event)
    return event
