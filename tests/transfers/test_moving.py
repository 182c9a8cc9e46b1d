"""What moves with a person: every township table that refers to the person, directly or
through rows that move, unless it is named in `STAYS`. A new table joins one set or the other
here, by somebody's decision."""
from __future__ import annotations

from sqlalchemy import text

from portal.transfers.moving import STAYS, township_tables

MOVES = {
    "persons", "roster_entries", "holder_entries", "guardianships", "cases", "case_events",
    "assessments", "second_reviews", "day_assignments", "guardian_invites",
    "guardian_uploads", "video_sessions", "video_consents", "video_media", "evidence",
    "certificates", "certificate_reprints", "handovers", "home_visits", "home_visit_members",
    # The holder's change, replacement and cancellation requests, the objections to their
    # cases and the messages about them are the person's history: they go with the person.
    "certificate_requests", "certificate_request_documents", "certificate_request_events",
    "objections", "notices",
}


def _reached_from_persons(names_stay: set[str]) -> set[str]:
    """The township tables a person's rows reach through foreign keys (the same walk as
    `rows_to_move`, over the schema instead of the rows)."""
    tables = [t for t in township_tables() if t.name not in names_stay]
    reached = {"persons"}
    grown = True
    while grown:
        grown = False
        for table in tables:
            if table.name in reached:
                continue
            if any(fk.column.table.name in reached and fk.parent.name != "township_id"
                   for fk in table.foreign_keys):
                reached.add(table.name)
                grown = True
    return reached


def test_the_tables_that_move_with_a_person_are_named():
    assert _reached_from_persons(set(STAYS)) == MOVES


def test_what_stays_refers_to_the_person():
    """Each table that stays would otherwise move: naming it in STAYS is a decision."""
    everything = _reached_from_persons(set())
    assert set(STAYS) <= everything
    # The transfer record belongs to two townships: it is no township's row and never moves.
    assert "transfers" not in {t.name for t in township_tables()}


def test_rows_to_move_finds_every_row_of_the_person(county, db_session):
    from portal.rls import across_townships
    from portal.transfers.moving import rows_to_move

    w = county
    with across_townships(db_session.connection()):
        moving = {table.name: ids for table, ids in rows_to_move(w.person.id).items()}
    assert moving["persons"] == {w.person.id}
    assert moving["cases"] == {w.history.case.id}
    assert moving["certificates"] == {w.history.certificate.id}
    assert set(moving) == {"persons", "roster_entries", "holder_entries", "guardianships",
                           "cases", "case_events", "certificates", "handovers"}
    assert db_session.execute(text("SELECT count(*) FROM dispatch_batches")).scalar() == 1
