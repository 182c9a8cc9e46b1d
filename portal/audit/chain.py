"""The hash chain that makes the audit log tamper-evident.

One global chain over all audit events, in the order of `seq`, with a head per calendar day
(the portal's time zone) that can be exported and kept elsewhere.

- `seq` is gap-free: 1, 2, 3 ... It is assigned at flush time as the chain's last `seq` + 1
  while holding a lock (PostgreSQL: a transaction-level advisory lock taken before the last row
  is read, held until commit or rollback; SQLite: WAL lets one writer at a time, and refuses a
  write from a transaction whose snapshot is stale), so a rolled-back transaction leaves no hole
  and two transactions can never link to the same predecessor (on PostgreSQL the lock is held
  from a transaction's first flush of an audit event to its end, so audited transactions run
  one after the other from that point: keep them short). `id` comes from the database
  (a PostgreSQL sequence skips values after rollbacks) and is not part of the hash: it only
  names a row.
- `row_hash` = SHA-256 of a canonical JSON array: format version, seq, occurred_at in UTC ISO
  with microseconds, actor_id, township_id, action, object_type, object_id, details (sorted
  keys), ip, and `prev_hash`, the previous row's `row_hash` (64 zeros for the first row).
- `verify_chain` walks the rows in `seq` order and names the first broken one: a gap in `seq`
  (row missing), a `prev_hash` that skips the previous row (that row was inserted), another
  link mismatch (a row before it was deleted or rewritten), or a hash that does not match the
  content (content changed). A consistent rewrite of the whole chain from some row on, or
  rows removed from its very end, is caught only by comparing with a day head kept elsewhere
  (`day_head`, `check_heads`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.orm import Session

from portal.audit.models import AuditEvent
from portal.models_base import utcnow

FORMAT = "audit-v1"
GENESIS = "0" * 64
# Any fixed number; only the audit chain takes this advisory lock.
ADVISORY_LOCK_KEY = 0x61756469745F6368  # "audit_ch"

_table = AuditEvent.__table__
_COLUMNS = (
    _table.c.id, _table.c.seq, _table.c.occurred_at, _table.c.actor_id, _table.c.township_id,
    _table.c.action, _table.c.object_type, _table.c.object_id, _table.c.details, _table.c.ip,
    _table.c.prev_hash, _table.c.row_hash,
)


def as_utc(moment: datetime) -> datetime:
    """The same instant with UTC as its zone (SQLite returns naive UTC values)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_iso(moment: datetime) -> str:
    """The instant in UTC, always with microseconds."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_hash(row, prev_hash: str) -> str:
    """SHA-256 (hex) of the row's content and its predecessor's hash; `row` has the columns
    as attributes (an AuditEvent or a result row)."""
    content = [
        FORMAT, row.seq, utc_iso(row.occurred_at), row.actor_id, row.township_id, row.action,
        row.object_type, row.object_id, row.details, row.ip, prev_hash,
    ]
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def _lock_and_read_head(connection) -> tuple[int, str]:
    """Lock the chain for this transaction and return its last (seq, row_hash)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": ADVISORY_LOCK_KEY})
    last = connection.execute(
        select(_table.c.seq, _table.c.row_hash).order_by(_table.c.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.row_hash) if last else (0, GENESIS)


@event.listens_for(Session, "before_flush")
def _link_new_events(session, flush_context, instances):
    """Give every audit event about to be inserted its place in the chain and its hash."""
    new = [obj for obj in session.new if isinstance(obj, AuditEvent) and obj.seq is None]
    if not new:
        return
    new.sort(key=lambda obj: inspect(obj).insert_order)
    seq, prev_hash = _lock_and_read_head(session.connection())
    now = utcnow()
    for audit_event in new:
        seq += 1
        # Store exactly what is hashed: UTC instants, JSON-shaped details, no NULL strings.
        audit_event.occurred_at = (as_utc(audit_event.occurred_at)
                                   if audit_event.occurred_at is not None else now)
        audit_event.details = json.loads(json.dumps(audit_event.details or {}))
        audit_event.object_type = audit_event.object_type or ""
        audit_event.ip = audit_event.ip or ""
        audit_event.seq = seq
        audit_event.prev_hash = prev_hash
        audit_event.row_hash = prev_hash = compute_hash(audit_event, prev_hash)


@dataclass(frozen=True)
class Break:
    """The first broken row: its id and seq, the kind of damage and a sentence about it."""

    row_id: int | None
    seq: int | None
    kind: str  # content_changed | row_missing | row_inserted | link_mismatch
    message: str


@dataclass(frozen=True)
class Walk:
    rows: int
    last_seq: int
    head: str
    broken: Break | None


def verify_chain(session, *, from_seq: int = 1, batch: int = 5000) -> Walk:
    """Walk the chain in `seq` order from `from_seq` (trusting the stored hash of the row
    before it) to the end; stop at the first broken row."""
    prev_hash = GENESIS
    if from_seq > 1:
        prev_hash = session.scalar(select(_table.c.row_hash).where(_table.c.seq == from_seq - 1))
        if prev_hash is None:
            return Walk(0, from_seq - 1, "", Break(None, from_seq - 1, "row_missing",
                                                  f"row seq {from_seq - 1} is missing"))
    result = session.execute(
        select(*_COLUMNS).where(_table.c.seq >= from_seq).order_by(_table.c.seq)
        .execution_options(yield_per=batch))
    expected_seq, prev = from_seq, None
    rows = 0
    for row in result:
        where = f"row id={row.id} (seq {row.seq})"
        broken = None
        if row.seq != expected_seq:
            missing = (f"seq {expected_seq}" if row.seq == expected_seq + 1
                       else f"seq {expected_seq}..{row.seq - 1}")
            broken = Break(row.id, row.seq, "row_missing",
                           f"{where}: row missing before it ({missing} absent: gap in sequence)")
        elif row.prev_hash != prev_hash:
            if prev is not None and row.prev_hash == prev.prev_hash:
                broken = Break(prev.id, prev.seq, "row_inserted",
                               f"row id={prev.id} (seq {prev.seq}): row inserted (the next row, "
                               f"id={row.id}, links past it: link mismatch)")
            else:
                broken = Break(row.id, row.seq, "link_mismatch",
                               f"{where}: link mismatch (the row before it was deleted, "
                               f"replaced or renumbered)")
        elif compute_hash(row, prev_hash) != row.row_hash:
            broken = Break(row.id, row.seq, "content_changed",
                           f"{where}: content changed (its hash does not match its content)")
        if broken:
            result.close()
            return Walk(rows, expected_seq - 1, prev_hash, broken)
        rows += 1
        expected_seq, prev_hash, prev = row.seq + 1, row.row_hash, row
    return Walk(rows, expected_seq - 1, prev_hash, None)


def verify_day(session, day: date, zone: ZoneInfo) -> Walk:
    """Walk the chain from the first row of `day` on (for the audit page)."""
    first = session.scalar(select(func.min(_table.c.seq)).where(
        _table.c.occurred_at >= _start_of(day, zone)))
    if first is None:
        return Walk(0, 0, "", None)
    return verify_chain(session, from_seq=first)


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def day_head(session, day: date, zone: ZoneInfo) -> dict:
    """The chain's state at the end of `day` (portal time zone): its last row by then, and how
    many rows the day added. For today, the state now."""
    start, end = _start_of(day, zone), _start_of(day + timedelta(days=1), zone)
    last = session.execute(
        select(_table.c.id, _table.c.seq, _table.c.row_hash)
        .where(_table.c.occurred_at < end).order_by(_table.c.seq.desc()).limit(1)
    ).first()
    count = session.scalar(select(func.count()).select_from(_table).where(
        _table.c.occurred_at >= start, _table.c.occurred_at < end))
    return {
        "date": day.isoformat(),
        "timezone": zone.key,
        "seq": last.seq if last else 0,
        "id": last.id if last else None,
        "hash": last.row_hash if last else GENESIS,
        "rows_that_day": count,
    }


def check_heads(session, heads: list[dict]) -> list[str]:
    """Compare kept day heads with the table: one sentence per head that no longer matches."""
    problems = []
    for head in heads:
        seq, expected = head["seq"], head["hash"]
        if seq == 0:
            continue
        stored = session.execute(
            select(_table.c.id, _table.c.row_hash).where(_table.c.seq == seq)).first()
        if stored is None:
            problems.append(f"head of {head['date']}: row seq {seq} is missing")
        elif stored.row_hash != expected:
            problems.append(f"head of {head['date']}: row id={stored.id} (seq {seq}) has hash "
                            f"{stored.row_hash[:12]}…, the kept head says {expected[:12]}… "
                            f"(the chain up to it was rewritten)")
    return problems
