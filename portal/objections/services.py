"""Objections services: receiving one from the notice's public page, recording one received
on paper, by phone or in person, and deciding it (dismissed, or upheld: the case goes back for
a new assessment). Services change the session and never commit; every change is audited and
on the case's timeline.

The timeline (seen by everybody who sees the case) says that an objection came and how it was
decided, never who objected or what they wrote: that stays in the objection, which only the
township office and the city's officials see (portal/access.py).
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select

from portal.audit.services import record_event
from portal.cases.models import Case, CaseEvent
from portal.cases.workflow import apply_transition
from portal.clock import local_today
from portal.evidence.services import discard_object, get_store
from portal.evidence.sniff import SNIFF_BYTES, sniff
from portal.extensions import db
from portal.models_base import utcnow
from portal.objections.models import STAFF_CHANNELS, Objection
from portal.objections.notices import Notice
from portal.objections.workflow import VIA
from portal.refusals import Refused
from portal.storage import HashingReader, ObjectTooLarge, StoreUnavailable, check_key
from portal.uow import after_rollback

log = logging.getLogger(__name__)

ATTACHMENT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf")
DEFAULT_ATTACHMENT_MB = 10


@dataclass(frozen=True)
class ObjectionData:
    """What an objection says: the reason, optional contact and attachment."""

    reason: str
    contact: str = ""
    # The file sent with it, as the form received it (a stream).
    attachment: BinaryIO | None = None


def attachment_limit_mb(config: Mapping) -> int:
    return int(config.get("OBJECTION_ATTACHMENT_MAX_MB", DEFAULT_ATTACHMENT_MB))


def _store_attachment(objection: Objection, stream: BinaryIO) -> None:
    """Stream the file into the evidence store under a server-made key; it is deleted again if
    the objection is not saved. The type is told from the content, never the name."""
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise Refused("objection_attachment_empty", field="attachment")
    content_type = sniff(head)
    if content_type not in ATTACHMENT_TYPES:
        raise Refused("objection_attachment_type", field="attachment")
    limit_mb = attachment_limit_mb(current_app.config)
    store = get_store(current_app)
    # Outside `townships/`: the evidence reaper keeps only objects with an evidence row.
    key = check_key(f"objections/{objection.township_id}/{uuid.uuid4().hex}")
    reader = HashingReader(stream, max_size=limit_mb * 1024 * 1024, head=head)
    try:
        stored = store.put(key, reader, content_type=content_type,
                           metadata={"objection": "1"})
    except ObjectTooLarge:
        raise Refused("objection_attachment_too_large", field="attachment",
                      mb=limit_mb) from None
    except StoreUnavailable as exc:
        log.warning("evidence store unavailable for an objection's attachment: %s", exc)
        raise Refused("objection_store_unavailable", field="attachment") from None
    after_rollback(lambda: discard_object(store, stored.key))
    objection.attachment_key = stored.key
    objection.attachment_type = content_type
    objection.attachment_size = stored.size
    objection.attachment_sha256 = stored.sha256


def _timeline(case: Case, action: str, actor, note: str = "") -> None:
    db.session.add(CaseEvent(township_id=case.township_id, case=case,
                             actor_id=getattr(actor, "id", None), action=action,
                             from_state=case.state, to_state=case.state, note=note))


def _add(case: Case, *, channel: str, received_on: date, data: ObjectionData,
         actor=None) -> Objection:
    objection = Objection(township_id=case.township_id, case=case, case_id=case.id,
                          channel=channel, received_on=received_on,
                          reason=data.reason.strip(), contact=(data.contact or "").strip(),
                          recorded_by_id=getattr(actor, "id", None), status="open")
    if data.attachment is not None:
        _store_attachment(objection, data.attachment)
    db.session.add(objection)
    _timeline(case, "objection_received", actor)
    db.session.flush()
    record_event("objection.received", actor=actor, obj=objection, details={
        "case_id": case.id, "channel": channel, "received_on": received_on.isoformat(),
        "attachment": objection.attachment_key is not None,
        "contact_given": bool(objection.contact)})
    return objection


def receive_public_objection(notice: Notice, case_id: int, data: ObjectionData, *,
                             today: date | None = None) -> Objection:
    """An objection sent through a notice's public page, to a case the notice lists, while the
    notice runs (its first day to its last)."""
    today = today or local_today()
    if not notice.starts_on <= today <= notice.ends_on:
        raise Refused("objection_notice_not_running", start=notice.starts_on.isoformat(),
                      end=notice.ends_on.isoformat())
    case = next((c for c in notice.cases if c.id == case_id), None)
    if case is None:
        raise Refused("objection_unknown_case", field="case_id")
    return _add(case, channel="public_page", received_on=today, data=data)


def record_objection(case: Case, *, actor, channel: str, received_on: date,
                     data: ObjectionData, today: date | None = None) -> Objection:
    """Staff record an objection received on paper, by phone or in person, while the case is
    on public notice."""
    today = today or local_today()
    if channel not in STAFF_CHANNELS:
        raise Refused("not_allowed_now", field="channel")
    if case.state != "publicity":
        raise Refused("objection_not_on_notice")
    if received_on > today:
        raise Refused("objection_received_in_future", field="received_on")
    if case.publicity_starts_on and received_on < case.publicity_starts_on:
        raise Refused("objection_received_before_notice", field="received_on",
                      start=case.publicity_starts_on.isoformat())
    return _add(case, channel=channel, received_on=received_on, data=data, actor=actor)


def _decide(objection: Objection, status: str, reason: str, actor) -> None:
    if not objection.is_open:
        raise Refused("objection_already_decided")
    objection.status = status
    objection.outcome_reason = reason.strip()
    objection.decided_by_id = actor.id
    objection.decided_at = utcnow()


def dismiss_objection(objection: Objection, *, actor, reason: str) -> Objection:
    """Checked and not founded: the case may go on to the city once nothing else is open."""
    _decide(objection, "dismissed", reason, actor)
    _timeline(objection.case, "objection_dismissed", actor, objection.outcome_reason)
    db.session.flush()
    record_event("objection.dismissed", actor=actor, obj=objection,
                 details={"case_id": objection.case_id})
    return objection


def uphold_objection(objection: Objection, *, actor, access, reason: str,
                     today: date | None = None) -> Objection:
    """Checked and founded: the case goes back for a new assessment with the reason on its
    timeline; other open objections to it are closed as superseded."""
    case = objection.case
    if objection.is_open and case.state != "publicity":
        raise Refused("objection_not_on_notice")
    _decide(objection, "upheld", reason, actor)
    try:
        apply_transition(case, "uphold_objection", actor=actor, access=access,
                         note=objection.outcome_reason, via=VIA, today=today or local_today())
    except Refused as refusal:
        raise Refused("objection_step_refused",
                      reason=refusal.message) from None
    others = db.session.scalars(select(Objection).where(
        Objection.case_id == case.id, Objection.status == "open",
        Objection.id != objection.id)).all()
    for other in others:
        _decide(other, "superseded", "", actor)
    db.session.flush()
    record_event("objection.upheld", actor=actor, obj=objection, details={
        "case_id": case.id, "superseded": [o.id for o in others]})
    return objection


def objections_of(stmt) -> list[Objection]:
    """The objections of an already scoped SELECT, newest first."""
    return list(db.session.scalars(stmt.order_by(Objection.received_on.desc(),
                                                 Objection.id.desc())))
