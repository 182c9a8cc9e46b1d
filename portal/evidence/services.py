"""Evidence services: streaming uploads into the store, superseding, views, reaping, verifying.

Order under faults: the object is written first and the row second. The object's deletion is
registered with the unit of work (`after_rollback`): when the request or command that holds
the row rolls back, for whatever reason (the row's flush failed, a later service of the same
request refused or failed, the commit failed), the object goes too. Whatever still slips
through (a killed process) is an object without a row, which `reap_orphans` removes after an
hour.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit.services import record_event
from portal.evidence.models import EVIDENCE_KINDS, Evidence
from portal.evidence.sniff import SNIFF_BYTES, is_video, sniff
from portal.extensions import db
from portal.refusals import Refused
from portal.storage import (
    CHUNK_SIZE,
    HashingReader,
    ObjectMissing,
    ObjectTooLarge,
    Store,
    StoreError,
    StoreUnavailable,
    evidence_key,
    make_store,
)
from portal.uow import after_rollback

log = logging.getLogger(__name__)

ORPHAN_AGE = timedelta(hours=1)

KIND_LABELS = {
    "photo": _l("Photo"),
    "video": _l("Video"),
    "medical_record": _l("Medical record"),
    "statement": _l("Written statement"),
    "recording": _l("Recording of a video assessment"),
    "snapshot": _l("Snapshot from a video assessment"),
    "signed_form": _l("Signed form"),
}
# Which detected content types each kind accepts (the allowed-types setting applies too).
KIND_TYPES = {
    "photo": ("image/",),
    "video": ("video/",),
    "medical_record": ("image/", "application/pdf", "text/plain"),
    "statement": ("text/plain", "image/", "application/pdf", "audio/"),
    "recording": ("video/", "audio/"),
    "snapshot": ("image/",),
    "signed_form": ("application/pdf", "image/"),
}
TYPE_LABELS = {
    "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/heic": "HEIC",
    "application/pdf": "PDF", "video/mp4": "MP4", "video/quicktime": "MOV",
    "video/webm": "WebM", "audio/webm": "WebM", "audio/mp4": "M4A", "text/plain": "TXT",
}


def get_store(app) -> Store:
    """The evidence store the app's configuration names (made once per app)."""
    store = app.extensions.get("evidence_store")
    if store is None:
        store = make_store(app.config)
        app.extensions["evidence_store"] = store
    return store


def max_bytes(content_type: str, config: Mapping) -> int:
    """The size limit for a content type: videos have their own, larger limit."""
    mb = config["EVIDENCE_MAX_VIDEO_MB"] if is_video(content_type) else config[
        "EVIDENCE_MAX_OTHER_MB"]
    return int(mb) * 1024 * 1024


def allowed_types(kind: str, config: Mapping) -> list[str]:
    """The configured content types a kind of evidence accepts."""
    prefixes = KIND_TYPES.get(kind, ())
    return [t for t in config["EVIDENCE_ALLOWED_TYPES"] if t.startswith(prefixes)]


def accept_attribute(kind: str | None, config: Mapping) -> str:
    """The `accept` attribute of a file input for `kind` (all allowed types when None)."""
    kinds = [kind] if kind else list(KIND_TYPES)
    types: list[str] = []
    for k in kinds:
        types += [t for t in allowed_types(k, config) if t not in types]
    return ",".join(types)


def _read_head(stream, size: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = stream.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def store_upload(*, case, stream, filename: str, claimed_type: str | None, kind: str, actor,
                 store: Store, config: Mapping, uploaded_via: str = "portal") -> Evidence:
    """Stream one file into the store and record it as evidence of `case` (caller commits)."""
    if kind not in EVIDENCE_KINDS:
        raise Refused("evidence_unknown_kind", status=400)
    head = _read_head(stream, SNIFF_BYTES)
    if not head:
        raise Refused("evidence_empty", status=400)
    content_type = sniff(head)
    allowed = allowed_types(kind, config)
    if content_type not in allowed:
        raise Refused("evidence_type_not_allowed", status=400,
                      kind=KIND_LABELS.get(kind, kind), allowed=", ".join(sorted({TYPE_LABELS.get(t, t) for t in allowed})))
    limit = max_bytes(content_type, config)
    key = evidence_key(case.township_id, case.id)
    reader = HashingReader(stream, max_size=limit, head=head)
    try:
        stored = store.put(key, reader, content_type=content_type,
                           metadata={"case": str(case.id), "kind": kind})
    except ObjectTooLarge:
        raise Refused("evidence_too_large", status=413, mb=limit // (1024 * 1024)) from None
    except StoreUnavailable as exc:
        log.warning("evidence store unavailable on upload: %s", exc)
        raise Refused("evidence_store_unavailable", status=503) from None
    return register_object(case=case, stored=stored, kind=kind, content_type=content_type,
                           filename=filename, actor=actor, store=store,
                           details={"via": uploaded_via,
                                    "claimed_type_differs": bool(
                                        claimed_type and claimed_type != content_type)})


def register_object(*, case, stored, kind: str, content_type: str, filename: str, actor,
                    store: Store, details: dict | None = None) -> Evidence:
    """Record an object already written to the store (uploads, recordings, snapshots); the
    object is deleted if the unit of work holding its row rolls back."""
    after_rollback(lambda: discard_object(store, stored.key))
    evidence = Evidence(
        township_id=case.township_id, case_id=case.id, kind=kind, object_key=stored.key,
        content_type=content_type, size=stored.size, sha256=stored.sha256,
        original_filename=_clean_filename(filename),
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(evidence)
    db.session.flush()
    record_event("evidence.upload", actor=actor, obj=evidence,
                 details={"case_id": case.id, "kind": kind, "size": stored.size,
                          "content_type": content_type, **(details or {})})
    return evidence


def _clean_filename(filename: str | None) -> str:
    """The last path segment of the uploader's name, printable, at most 255 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable())
    return name.strip()[:255]


def discard_object(store: Store, key: str) -> None:
    """Delete an object whose row was not saved (errors are logged: reap catches up)."""
    try:
        store.delete(key)
    except StoreError as exc:
        log.warning("could not delete object %s after a failed write: %s", key, exc)


def supersede(evidence: Evidence, reason: str, actor) -> Evidence:
    """Mark evidence as superseded with a reason (staff never hard-delete evidence)."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused("evidence_reason_required")
    if evidence.superseded_at is not None:
        raise Refused("evidence_already_superseded")
    evidence.superseded_at = datetime.now(UTC)
    evidence.superseded_by_id = actor.id
    evidence.superseded_reason = reason
    db.session.flush()
    record_event("evidence.supersede", actor=actor, obj=evidence,
                 details={"case_id": evidence.case_id, "kind": evidence.kind})
    return evidence


def record_view(evidence: Evidence, actor, *, via: str = "stream",
                download: bool = False) -> None:
    """Audit one view or download of evidence."""
    record_event("evidence.download" if download else "evidence.view", actor=actor,
                 obj=evidence, details={"case_id": evidence.case_id, "kind": evidence.kind,
                                        "via": via})


def case_evidence(case, stmt_scoper) -> list[Evidence]:
    """The evidence of a case, newest first, through the caller's scoping function."""
    stmt = stmt_scoper(select(Evidence)).where(Evidence.case_id == case.id)
    return list(db.session.scalars(stmt.order_by(Evidence.created_at.desc(),
                                                 Evidence.id.desc())))


def read_text_preview(evidence: Evidence, store: Store, limit: int = 4000) -> str | None:
    """The start of a text statement for the gallery (None when the store cannot be read)."""
    try:
        with store.open(evidence.object_key, 0, limit) as body:
            data = body.read(limit)
    except StoreError:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


# --- maintenance: reap and verify -------------------------------------------------------

@dataclass
class ReapResult:
    removed: list[str]
    kept_young: int
    with_row: int
    aborted_uploads: list[str] = field(default_factory=list)


def reap_orphans(store: Store, *, older_than: timedelta = ORPHAN_AGE, now: datetime | None = None,
                 prefix: str = "townships/") -> ReapResult:
    """Delete objects that have no evidence row and are older than `older_than`, and abort the
    multipart uploads begun longer ago than that (left when the store went away mid-upload)."""
    now = now or datetime.now(UTC)
    result = ReapResult(removed=[], kept_young=0, with_row=0)
    batch: list = []

    def flush_batch():
        keys = {info.key for info in batch}
        known = set(db.session.scalars(select(Evidence.object_key).where(
            Evidence.object_key.in_(keys))))
        for info in batch:
            if info.key in known:
                result.with_row += 1
            elif now - info.last_modified < older_than:
                result.kept_young += 1
            else:
                store.delete(info.key)
                result.removed.append(info.key)
        batch.clear()

    for info in store.iter_objects(prefix):
        batch.append(info)
        if len(batch) >= 500:
            flush_batch()
    flush_batch()
    if hasattr(store, "iter_incomplete_uploads"):
        for upload in list(store.iter_incomplete_uploads(prefix)):
            if upload.initiated is not None and now - upload.initiated < older_than:
                result.kept_young += 1
                continue
            store.abort_incomplete(upload)
            result.aborted_uploads.append(upload.key)
    return result


@dataclass
class VerifyProblem:
    evidence_id: int
    key: str
    problem: str  # "missing", "size", "sha256", "unreadable"
    expected: str
    found: str


def _hash_object(store: Store, key: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with store.open(key) as body:
        while chunk := body.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def verify_objects(store: Store, *, township_id: int | None = None
                   ) -> Iterator[tuple[Evidence, VerifyProblem | None]]:
    """Re-read every evidence object (of one township) and compare size and SHA-256."""
    stmt = select(Evidence).order_by(Evidence.id)
    if township_id is not None:
        stmt = stmt.where(Evidence.township_id == township_id)
    for evidence in db.session.scalars(stmt).yield_per(200):
        key = evidence.object_key
        try:
            size, sha = _hash_object(store, key)
        except ObjectMissing:
            yield evidence, VerifyProblem(evidence.id, key, "missing", evidence.sha256, "")
            continue
        except StoreUnavailable as exc:
            yield evidence, VerifyProblem(evidence.id, key, "unreadable", evidence.sha256,
                                          str(exc))
            continue
        if sha != evidence.sha256:
            yield evidence, VerifyProblem(evidence.id, key, "sha256", evidence.sha256, sha)
        elif size != evidence.size:
            yield evidence, VerifyProblem(evidence.id, key, "size", str(evidence.size),
                                          str(size))
        else:
            yield evidence, None
