"""Documents of a request in the evidence store: the type told from the content, size limits,
SHA-256 kept with the row, a key made by the server. The object is written first and the row
second; when the request's unit of work rolls back, the object is deleted again.

Keys live under `certificate-life/` (not under `townships/`, whose objects without an evidence
row the evidence reaper removes)."""
from __future__ import annotations

import uuid

from flask import current_app

from portal.audit.services import record_event
from portal.evidence.services import (
    TYPE_LABELS,
    allowed_types,
    discard_object,
    get_store,
    max_bytes,
)
from portal.evidence.sniff import SNIFF_BYTES, sniff
from portal.extensions import db
from portal.lifecycle.models import CertificateRequest, RequestDocument
from portal.lifecycle.requests import add_event, require_state
from portal.refusals import Refused
from portal.storage import HashingReader, ObjectTooLarge, StoreUnavailable
from portal.uow import after_rollback

# What a document of a request may be, and the evidence kind whose file types it accepts.
DOCUMENT_KINDS = {
    "statement": "statement",  # written request, loss declaration, family's report
    "signed_form": "signed_form",  # signed forms, household register pages, decisions
    "photo": "photo",  # the holder's new photo
    "death_proof": "medical_record",  # death or cremation certificate, deregistration
}


def document_key(request: CertificateRequest) -> str:
    return (f"certificate-life/{int(request.township_id)}/requests/{int(request.id)}/"
            f"{uuid.uuid4().hex}")


def _read_head(stream) -> bytes:
    parts, got = [], 0
    while got < SNIFF_BYTES:
        chunk = stream.read(SNIFF_BYTES - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _clean_name(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in name if c.isprintable()).strip()[:255]


def add_document(request: CertificateRequest, actor, *, stream, filename: str,
                 kind: str) -> RequestDocument:
    """Store one file as a document of the request (refused with the reason in words)."""
    require_state(request, "draft", "submitted")
    if kind not in DOCUMENT_KINDS:
        raise Refused("life_document_kind", field="kind")
    config = current_app.config
    head = _read_head(stream)
    if not head:
        raise Refused("life_file_empty", field="file")
    content_type = sniff(head)
    allowed = allowed_types(DOCUMENT_KINDS[kind], config)
    if content_type not in allowed:
        raise Refused("life_file_type", field="file",
                      allowed=", ".join(sorted({TYPE_LABELS.get(t, t) for t in allowed})))
    limit = max_bytes(content_type, config)
    store = get_store(current_app)
    key = document_key(request)
    try:
        stored = store.put(key, HashingReader(stream, max_size=limit, head=head),
                           content_type=content_type,
                           metadata={"request": str(request.id), "kind": kind})
    except ObjectTooLarge:
        raise Refused("life_file_too_large", field="file", mb=limit // (1024 * 1024)) from None
    except StoreUnavailable:
        raise Refused("life_store_unavailable", field="file", status=503) from None
    after_rollback(lambda: discard_object(store, stored.key))
    document = RequestDocument(
        township_id=request.township_id, request=request, kind=kind, object_key=stored.key,
        content_type=content_type, size=stored.size, sha256=stored.sha256,
        original_filename=_clean_name(filename), uploaded_by_id=getattr(actor, "id", None))
    db.session.add(document)
    add_event(request, "add_document", actor)
    db.session.flush()
    record_event("certificate_life.document_added", actor=actor, obj=document,
                 details={"request_id": request.id, "kind": kind, "size": stored.size,
                          "content_type": content_type})
    return document


def has_document(request: CertificateRequest, *kinds: str) -> bool:
    return any(d.kind in kinds for d in request.documents)


def record_document_view(document: RequestDocument, actor) -> None:
    """Every opening of a document is audited (they hold personal and medical data)."""
    record_event("certificate_life.document_viewed", actor=actor, obj=document,
                 details={"request_id": document.request_id, "kind": document.kind})
