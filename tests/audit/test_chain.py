"""The audit log's hash chain: links, append-only triggers, verify, day heads, concurrency."""
import json
import threading
import time
from datetime import datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from portal import create_app
from portal.audit.chain import GENESIS, compute_hash, verify_chain
from portal.audit.models import AuditEvent
from portal.audit.services import record_event
from portal.extensions import db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _events(db_session, count=4, **kwargs):
    events = [record_event("chain.test", object_type="things", object_id=n,
                           details={"n": n, "b": [1, 2], "a": "值"}, **kwargs)
              for n in range(count)]
    db_session.flush()
    return events


def _as_attacker(db_session):
    """Switch the append-only triggers off inside this test's transaction, as someone with the
    database's owner or superuser rights could; the outer rollback switches them on again."""
    if db_session.get_bind().dialect.name == "postgresql":
        db_session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        db_session.execute(text("DROP TRIGGER audit_events_no_update"))
        db_session.execute(text("DROP TRIGGER audit_events_no_delete"))


def _verify(runner, *args):
    return runner.invoke(args=["audit", "verify", *args])


def test_each_row_links_to_the_previous_one(runner, db_session):
    first = _events(db_session, 2)
    second = _events(db_session, 2)  # a later flush continues the same chain
    events = first + second
    db_session.expire_all()
    rows = db_session.scalars(select(AuditEvent).where(
        AuditEvent.id.in_([e.id for e in events])).order_by(AuditEvent.seq)).all()
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + 4))
    for previous, row in pairwise(rows):
        assert row.prev_hash == previous.row_hash
    for row in rows:  # read back from the database, the hash still matches the content
        assert row.row_hash == compute_hash(row, row.prev_hash)
        assert len(row.row_hash) == 64 and row.row_hash != GENESIS
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output
    assert f"last seq {rows[-1].seq}," in result.output and rows[-1].row_hash in result.output


def test_hash_covers_every_field(db_session):
    (event,) = _events(db_session, 1)
    for field, value in [("seq", event.seq + 1), ("actor_id", 99), ("township_id", 5),
                         ("action", "chain.other"), ("object_type", "x"), ("object_id", 42),
                         ("details", {"n": 1}), ("ip", "10.0.0.1"),
                         ("occurred_at", datetime(2020, 1, 1, tzinfo=SHANGHAI))]:
        row = {c: getattr(event, c) for c in ("seq", "occurred_at", "actor_id", "township_id",
                                                "action", "object_type", "object_id",
                                                "details", "ip")}
        row[field] = value
        assert compute_hash(type("Row", (), row), event.prev_hash) != event.row_hash, field
    assert compute_hash(event, "f" * 64) != event.row_hash  # and the predecessor's hash


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'x'",
    "DELETE FROM audit_events",
])
def test_database_refuses_update_and_delete(db_session, statement):
    _events(db_session, 1)
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text(statement))


def test_postgresql_refuses_truncate(db_session):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("TRUNCATE audit_events"))


def test_verify_names_an_edited_row(runner, db_session):
    events = _events(db_session)
    _as_attacker(db_session)
    db_session.execute(text("UPDATE audit_events SET details = :d WHERE id = :id"),
                       {"d": json.dumps({"n": 99}), "id": events[2].id})
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"row id={events[2].id} (seq {events[2].seq}): content changed" in result.output


def test_verify_names_the_row_after_a_deleted_one(runner, db_session):
    events = _events(db_session)
    _as_attacker(db_session)
    db_session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[1].id})
    result = _verify(runner)
    assert result.exit_code == 1
    assert (f"row id={events[2].id} (seq {events[2].seq}): row missing before it "
            f"(seq {events[1].seq} absent: gap in sequence)") in result.output


def test_verify_names_a_deleted_row_even_when_the_rest_is_renumbered(runner, db_session):
    events = _events(db_session)
    _as_attacker(db_session)
    db_session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[1].id})
    db_session.execute(text("UPDATE audit_events SET seq = seq - 1 WHERE seq > :s"),
                       {"s": events[1].seq})
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"row id={events[2].id} (seq {events[1].seq}): link mismatch" in result.output


def test_verify_names_an_inserted_row(runner, db_session):
    events = _events(db_session)
    _as_attacker(db_session)
    after = events[1]
    # Make room after `after` (in two steps: seq is unique), then insert a well-formed row
    # that links to it, with a correct hash of its own.
    db_session.execute(text("UPDATE audit_events SET seq = -seq WHERE seq > :s"),
                       {"s": after.seq})
    db_session.execute(text("UPDATE audit_events SET seq = 1 - seq WHERE seq < 0"))
    forged = {"seq": after.seq + 1, "occurred_at": after.occurred_at, "actor_id": None,
              "township_id": None, "action": "chain.test", "object_type": "things",
              "object_id": 77, "details": {}, "ip": ""}
    row_hash = compute_hash(type("Row", (), forged), after.row_hash)
    db_session.execute(
        sa.insert(AuditEvent.__table__).values(**forged, prev_hash=after.row_hash,
                                               row_hash=row_hash))
    forged_id = db_session.scalar(select(AuditEvent.id).where(AuditEvent.object_id == 77,
                                                              AuditEvent.action == "chain.test"))
    result = _verify(runner)
    assert result.exit_code == 1
    assert (f"row id={forged_id} (seq {after.seq + 1}): row inserted (the next row, "
            f"id={events[2].id}, links past it") in result.output


def test_heads_export_and_later_comparison(runner, db_session, tmp_path):
    before = record_event("chain.test", object_type="things", object_id=1)
    before.occurred_at = datetime(2026, 11, 30, 23, 30, tzinfo=SHANGHAI)
    day = [record_event("chain.test", object_type="things", object_id=n) for n in (2, 3)]
    for n, event in enumerate(day):
        event.occurred_at = datetime(2026, 12, 1, 8 + n, tzinfo=SHANGHAI)
    db_session.flush()

    kept = tmp_path / "heads.json"
    result = runner.invoke(args=["audit", "heads", "--date", "2026-12-01", "-o", str(kept)])
    assert result.exit_code == 0, result.output
    (head,) = json.loads(kept.read_text())["heads"]
    assert head == {"date": "2026-12-01", "timezone": "Asia/Shanghai", "seq": day[-1].seq,
                    "id": day[-1].id, "hash": day[-1].row_hash, "rows_that_day": 2,
                    "complete": True}
    printed = runner.invoke(args=["audit", "heads", "--date", "2026-12-01"])
    assert json.loads(printed.output) == json.loads(kept.read_text())

    result = _verify(runner, "--heads", str(kept))
    assert result.exit_code == 0, result.output
    assert "1 kept heads match" in result.output

    # Someone with database rights edits a row and recomputes every hash from it on: the
    # chain is consistent again, only the kept head can tell.
    _as_attacker(db_session)
    db_session.execute(text("UPDATE audit_events SET object_id = 9 WHERE id = :id"),
                       {"id": day[0].id})
    rows = db_session.execute(select(AuditEvent.__table__).where(
        AuditEvent.seq >= day[0].seq).order_by(AuditEvent.seq)).all()
    prev_hash = day[0].prev_hash
    for row in rows:
        new_hash = compute_hash(row, prev_hash)
        db_session.execute(text("UPDATE audit_events SET prev_hash = :p, row_hash = :h "
                                "WHERE id = :id"), {"p": prev_hash, "h": new_hash, "id": row.id})
        prev_hash = new_hash
    assert verify_chain(db_session).broken is None
    result = _verify(runner, "--heads", str(kept))
    assert result.exit_code == 1
    assert f"head of 2026-12-01: row id={day[-1].id} (seq {day[-1].seq}) has hash" in (
        result.output)


def test_heads_refuses_a_future_day_and_verify_a_bad_file(runner, db_session, tmp_path):
    result = runner.invoke(args=["audit", "heads", "--date", "2999-01-01"])
    assert result.exit_code == 2 and "has not begun yet" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"heads": [{"date": "2026-12-01"}]}')
    result = _verify(runner, "--heads", str(bad))
    assert result.exit_code == 2 and "not a heads file" in result.output


def test_concurrent_writers_never_share_a_predecessor(app):
    """Two transactions writing at once: the second waits for the first's lock, then links to
    the first's row."""
    if app.config["DB_BACKEND"] != "postgresql":
        pytest.skip("SQLite lets one writer at a time; this checks PostgreSQL's advisory lock")
    with app.app_context():
        engine = db.engine
        first, second = Session(engine), Session(engine)
        watcher = engine.connect()
        try:
            first.add(AuditEvent(action="chain.concurrency", object_type="things"))
            first.flush()  # now holds the chain's lock until commit
            second_pid = second.connection().exec_driver_sql(
                "SELECT pg_backend_pid()").scalar()
            failures = []

            def write():
                try:
                    second.add(AuditEvent(action="chain.concurrency", object_type="things"))
                    second.commit()
                except DBAPIError as exc:  # handed to the test thread below
                    failures.append(exc)

            thread = threading.Thread(target=write)
            thread.start()
            deadline = time.monotonic() + 10
            while not watcher.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE pid = :pid AND locktype = 'advisory' "
                    "AND NOT granted"), {"pid": second_pid}).scalar():
                watcher.rollback()
                assert time.monotonic() < deadline, "the second writer never waited"
                assert thread.is_alive(), f"the second writer did not wait: {failures}"
                time.sleep(0.005)  # polling pg_locks: there is no notification to await
            first.commit()
            thread.join(10)
            assert not thread.is_alive() and not failures
            rows = watcher.execute(select(AuditEvent.seq, AuditEvent.prev_hash,
                                          AuditEvent.row_hash)
                                   .where(AuditEvent.action == "chain.concurrency")
                                   .order_by(AuditEvent.seq)).all()
            assert len(rows) == 2
            assert rows[1].seq == rows[0].seq + 1 and rows[1].prev_hash == rows[0].row_hash
        finally:
            first.close()
            second.close()
            watcher.rollback()
            with watcher.begin():  # leave the shared test database as it was
                watcher.execute(text("SET LOCAL session_replication_role = replica"))
                watcher.execute(text(
                    "DELETE FROM audit_events WHERE action = 'chain.concurrency'"))
            watcher.close()


def test_migration_chains_the_rows_already_there(app, tmp_path):
    """Rows written before the chain existed get seq, links and hashes in id order."""
    if app.config["DB_BACKEND"] != "sqlite":
        pytest.skip("one fresh SQLite database is enough for the data migration")
    old = create_app({"ENV_NAME": "testing",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite3'}",
                      "EVIDENCE_DIR": str(tmp_path / "e"), "IMPORT_DIR": str(tmp_path / "i")})
    with old.app_context():
        upgrade(revision="b8781a304167")
        with db.engine.begin() as conn:
            for n in (1, 2, 3):
                conn.execute(text(
                    "INSERT INTO audit_events (occurred_at, action, object_type, object_id, "
                    "details, ip) VALUES (:at, 'old.event', 'things', :n, :d, '')"),
                    {"at": f"2026-11-0{n} 01:02:03.000004", "n": n,
                     "d": json.dumps({"n": n})})
        upgrade()
        with Session(db.engine) as session:
            walk = verify_chain(session)
            assert walk.broken is None and walk.rows == 3 and walk.last_seq == 3
            session.add(AuditEvent(action="new.event", object_type="things"))
            session.commit()
            assert verify_chain(session).rows == 4
        db.engine.dispose()


def test_audit_page_shows_the_chain_of_the_day(client, login_as, make_user, db_session):
    login_as(make_user("city_admin"))
    events = _events(db_session, 3)
    page = client.get("/city/audit/").get_data(as_text=True)
    assert "Today's part of the hash chain:" in page and "rows, intact." in page
    _as_attacker(db_session)
    db_session.execute(text("UPDATE audit_events SET ip = '10.9.9.9' WHERE id = :id"),
                       {"id": events[1].id})
    page = client.get("/city/audit/").get_data(as_text=True)
    assert (f"Today's part of the hash chain is broken at row {events[1].id}: "
            f"a row's content was changed.") in page
