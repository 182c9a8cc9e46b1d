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


def record_login_failure(username: str, reason: str) -> AuditEvent:
    """`auth.login_failed` for a refused login; `reason` is invalid, locked or inactive.

    The account is named (as actor and object) only when the typed name is an existing
    username; otherwise the typed text is not kept at all: it may be a password typed into
    the wrong box.
    """
    from sqlalchemy import select

    from portal.auth.models import User

    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    return record_event("auth.login_failed", actor=user, object_type="users",
                        object_id=user.id if user else None,
                        details={"reason": reason, "account": "known" if user else "unknown"})


def record_refusal(status: int, reason: str | None = None) -> AuditEvent:
    """`access.refused` for the current request: who, the endpoint, the method, the status and
    what was refused (`township`, `object`, `city`, `workspace` for a 404); never the URL or its
    query string."""
    from flask import g
    from flask_login import current_user

    actor = current_user if current_user and current_user.is_authenticated else None
    township = g.get("township")
    return record_event(
        "access.refused", actor=actor, township_id=getattr(township, "id", None),
        object_type="endpoints",
        details={"endpoint": request.endpoint or "", "method": request.method,
                 "status": status, **({"refused": reason} if reason else {})},
    )
