"""What moves with a person to another township, and the move itself.

Every row of a township table that belongs to the person moves: the person's own row, then
every row that refers to a moving row (their survey-list entries, register entry, guardians,
cases, and what hangs on a case: timeline, assessments, evidence, video sessions, home visits,
certificates, reprints, handovers...). The rows are found by following the foreign keys of the
tables that have an access policy of a township (`portal.access`), so a table added later
moves with the person without being listed here, unless it is named in `STAYS` with its reason.
`tests/transfers/test_moving.py` names what moves and fails when a new table joins either set,
so that somebody decides.

Rows a moving row refers to stay where they are: the sending township's concentrated day of
an old case, the parcel a certificate came in. They are the sending township's history.
"""
from __future__ import annotations

from sqlalchemy import Table, select, update

from portal.extensions import db

# Tables that refer to a person (or to their rows) and do not move with them, and why. (The
# transfer record itself is not one township's row: it keeps its sender and its receiver.)
STAYS = {
    "poverty_assignments": "a poverty-relief cadre works for one township: the sending "
                           "township's assignments end, the receiving township assigns its own",
    "cadre_contacts": "what the sending township's cadre did for the person is that township's "
                      "record of its work",
    "assessment_batch_members": "a place on a batch the sending township (or a unit helping it) "
                                "took to a hospital is that township's record; the receiving "
                                "township organises its own",
}
CHUNK = 500


def township_tables() -> list[Table]:
    """The tables holding one township's rows (an access policy with `tenant`)."""
    from portal.access import POLICIES

    return sorted({model.__table__ for model, policy in POLICIES.items() if policy.tenant},
                  key=lambda table: table.name)


def _chunks(ids: set[int]):
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _referring(table: Table, moving: dict[Table, set[int]]) -> set[int]:
    """Ids of `table`'s rows that refer to a moving row."""
    found: set[int] = set()
    for fk in table.foreign_keys:
        target = fk.column.table
        if fk.parent.name == "township_id" or not moving.get(target):
            continue
        for chunk in _chunks(moving[target]):
            found |= set(db.session.scalars(
                select(table.c.id).where(fk.parent.in_(chunk))))
    return found


def rows_to_move(person_id: int) -> dict[Table, set[int]]:
    """Every township row that belongs to the person, per table (the caller reads across
    townships: `portal.rls.across_townships`)."""
    tables = [t for t in township_tables() if t.name not in STAYS]
    persons = next(t for t in tables if t.name == "persons")
    moving: dict[Table, set[int]] = {persons: {person_id}}
    grown = True
    while grown:
        grown = False
        for table in tables:
            if table is persons:
                continue
            new = _referring(table, moving) - moving.get(table, set())
            if new:
                moving.setdefault(table, set()).update(new)
                grown = True
    return moving


def move_rows(moving: dict[Table, set[int]], to_township_id: int) -> dict[str, int]:
    """Give every row of `moving` to the receiving township; returns the count per table."""
    counts = {}
    for table, ids in sorted(moving.items(), key=lambda item: item[0].name):
        for chunk in _chunks(ids):
            db.session.execute(update(table).where(table.c.id.in_(chunk))
                               .values(township_id=to_township_id)
                               .execution_options(synchronize_session=False))
        counts[table.name] = len(ids)
    return counts


def end_cadre_assignments(person_id: int) -> list[int]:
    """The sending township's poverty-relief cadres no longer follow the person; returns
    the cadres' user ids (for the audit event)."""
    from portal.clock import local_today
    from portal.rosters.models import PovertyAssignment

    open_rows = (PovertyAssignment.person_id == person_id, PovertyAssignment.ended_on.is_(None))
    users = list(db.session.scalars(select(PovertyAssignment.user_id).where(*open_rows)))
    if users:  # ended, not deleted: the person's history of cadres stays with the township
        db.session.execute(update(PovertyAssignment).where(*open_rows)
                           .values(ended_on=local_today())
                           .execution_options(synchronize_session=False))
    return sorted(users)
