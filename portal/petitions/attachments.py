"""Files given with a petition, in the evidence store (the same store, content sniffing and
SHA-256 as case evidence, portal/evidence), under keys `petitions/<petition id>/<uuid>`.

The object is written first and the row second. If the row is not saved (a refusal or an error
later in the same request rolls the unit of work back), `uow.after_rollback` deletes the
object, so nothing is left in the store without its row.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping

from portal import uow
from portal.audit.services import record_event
from portal.clock import local_today
from portal.evidence.services import (
    TYPE_LABELS,
    _clean_filename,
    _read_head,
    discard_object,
)
from portal.evidence.sniff import SNIFF_BYTES, sniff
from portal.extensions import db
from portal.petitions.models import Petition, PetitionAttachment, PetitionEvent
from portal.refusals import Refused
from portal.storage import HashingReader, ObjectTooLarge, Store, StoreUnavailable

# Letters, photos of documents, scans and voice recordings.
ATTACHMENT_PREFIXES = ("image/", "application/pdf", "text/plain", "audio/")


def attachment_key(petition_id: int) -> str:
    """A fresh server-made key (never from the file's own name)."""
    return f"petitions/{int(petition_id)}/{uuid.uuid4().hex}"


def allowed_types(config: Mapping) -> list[str]:
    return [t for t in config["EVIDENCE_ALLOWED_TYPES"] if t.startswith(ATTACHMENT_PREFIXES)]


def accept_attribute(config: Mapping) -> str:
    return ",".join(allowed_types(config))


def max_bytes(config: Mapping) -> int:
    return int(config["EVIDENCE_MAX_OTHER_MB"]) * 1024 * 1024


def attach(petition: Petition, *, stream, filename: str, actor, store: Store,
           config: Mapping, field: str = "attachment") -> PetitionAttachment:
    """Stream one file into the store and record it with the petition (caller's unit of
    work commits; a rollback deletes the object)."""
    head = _read_head(stream, SNIFF_BYTES)
    if not head:
        raise Refused("petition_attachment_empty", field=field)
    content_type = sniff(head)
    allowed = allowed_types(config)
    if content_type not in allowed:
        raise Refused("petition_attachment_type", field=field,
                      allowed=", ".join(sorted({TYPE_LABELS.get(t, t) for t in allowed})))
    limit = max_bytes(config)
    key = attachment_key(petition.id)
    try:
        stored = store.put(key, HashingReader(stream, max_size=limit, head=head),
                           content_type=content_type, metadata={"petition": str(petition.id)})
    except ObjectTooLarge:
        raise Refused("petition_attachment_too_large", field=field,
                      mb=limit // (1024 * 1024)) from None
    except StoreUnavailable:
        raise Refused("petition_store_unavailable", field=field, status=503) from None
    uow.after_rollback(lambda: discard_object(store, stored.key))
    attachment = PetitionAttachment(
        petition_id=petition.id, object_key=stored.key, content_type=content_type,
        size=stored.size, sha256=stored.sha256, original_filename=_clean_filename(filename),
        uploaded_by_id=getattr(actor, "id", None))
    db.session.add(attachment)
    db.session.flush()
    db.session.add(PetitionEvent(petition_id=petition.id, happened_on=local_today(),
                                 actor_id=getattr(actor, "id", None), action="attachment_added",
                                 from_state=petition.state, to_state=petition.state,
                                 details={"attachment_id": attachment.id}))
    record_event("petition.attachment_added", actor=actor, obj=petition,
                 details={"reference": petition.reference, "attachment_id": attachment.id,
                          "size": stored.size, "content_type": content_type})
    db.session.flush()
    return attachment
