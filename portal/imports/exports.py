"""Exporting rosters (township and city workbooks) and the rejected-rows file."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit.services import record_event
from portal.domain.idcard import mask, mask_phone
from portal.extensions import db
from portal.imports.columns import TITLES
from portal.imports.messages import column_label, reason_text
from portal.imports.reader import Reject
from portal.imports.writer import write_rejects, write_rosters
from portal.reference.models import Township, Village
from portal.rosters.models import Person, RosterEntry


def write_rejects_file(target: str | Path | IO[bytes], rejects: list, headers: list[str] = ()
                       ) -> None:
    """The rejected rows as .xlsx: row number, column, reason (and the row's own cells)."""
    header = [_("Row"), _("Column"), _("Reason")] + list(headers)

    def lines():
        for item in rejects:
            if isinstance(item, Reject):
                yield [item.row, column_label(item.column), reason_text(item.code, item.params),
                       *item.values]
            else:
                row, column, code, params = item
                yield [row, column_label(column), reason_text(code, params)]

    write_rejects(target, header, lines())


def _export_rows(township: Township, list_kind: str, reveal: bool) -> Iterator[dict]:
    """The township's roster as rows keyed like the attachment's columns.

    Without `reveal` the ID number, the certificate number (which begins with the ID number)
    and the phones are masked exactly as the lists show them.
    """
    id_value = (lambda v: v) if reveal else mask
    phone_value = (lambda v: v) if reveal else mask_phone
    stmt = (
        select(Person, RosterEntry, Village.name)
        .join(RosterEntry, RosterEntry.person_id == Person.id)
        .outerjoin(Village, Village.id == Person.village_id)
        .where(Person.township_id == township.id, RosterEntry.township_id == township.id,
               RosterEntry.list_kind == list_kind)
        .order_by(Village.name, Person.name_pinyin, Person.id)
        .execution_options(yield_per=2000)
    )
    for person, entry, village in db.session.execute(stmt):
        yield {
            "name": person.name,
            "gender": person.gender,
            "ethnicity": person.ethnicity,
            "id_number": id_value(person.id_number),
            "village": village or "",
            "phone": phone_value(person.phone),
            "poverty": person.poverty_registered,
            "mobility": person.mobility,
            "certificate_number": id_value(person.certificate_number),
            "category": person.certificate_category,
            "grade": person.certificate_grade,
            "expires_on": person.certificate_expires_on,
            "suspected_category": entry.suspected_category,
            "medical_records": entry.medical_records,
            "guardian_name": person.guardian_name,
            "guardian_phone": phone_value(person.guardian_phone),
            "notes": entry.notes,
        }
        db.session.expunge(person)
        db.session.expunge(entry)


def _reveal_details(reveal: bool, rows: int) -> dict:
    # The audit names how many rows left with their ID numbers and phones in clear.
    return {"masked": not reveal, "revealed": rows if reveal else 0}


def export_township(township: Township, actor, list_kind: str,
                    target: str | Path | IO[bytes], *, reveal: bool = False) -> int:
    """Write the township's list in its attachment format; returns the number of rows.

    `reveal`: whether the exporter may see ID numbers and phones in clear (the
    REVEAL_PERSONAL_DATA permission, or the server's console); otherwise they are masked.
    """
    title = f"{township.name}{TITLES[list_kind]}"
    (count,) = write_rosters(target, list_kind,
                             [(township.name, title, _export_rows(township, list_kind, reveal))])
    record_event("roster.exported", actor=actor, township_id=township.id,
                 object_type="roster_entries",
                 details={"list_kind": list_kind, "rows": count,
                          **_reveal_details(reveal, count)})
    db.session.flush()
    return count


def export_city(actor, list_kind: str, target: str | Path | IO[bytes], *,
                reveal: bool = False) -> int:
    """One workbook: a summary sheet, then one sheet per township; returns the total rows.

    ID numbers and phones are masked unless `reveal` (see `export_township`).
    """
    townships = db.session.scalars(select(Township).order_by(Township.position)).all()
    entries = RosterEntry.__table__
    persons = Person.__table__
    summary_rows = []
    for township in townships:
        counts = db.session.execute(
            select(persons.c.poverty_registered, persons.c.mobility)
            .join(entries, entries.c.person_id == persons.c.id)
            .where(entries.c.township_id == township.id, entries.c.list_kind == list_kind)
        ).all()
        summary_rows.append([
            township.name, len(counts), sum(1 for c in counts if c.poverty_registered),
            sum(1 for c in counts if c.mobility == "bedridden"),
        ])
    total = sum(r[1] for r in summary_rows)
    summary_rows.append([_("Total"), total, sum(r[2] for r in summary_rows),
                         sum(r[3] for r in summary_rows)])
    header = [_("Township"), _("People on the list"), _("Poverty-registered"), _("Bedridden")]
    sheets = [(t.name, f"{t.name}{TITLES[list_kind]}", _export_rows(t, list_kind, reveal))
              for t in townships]
    write_rosters(target, list_kind, sheets, summary=(_("Summary"), header, summary_rows))
    record_event("roster.exported_city", actor=actor, object_type="roster_entries",
                 details={"list_kind": list_kind, "rows": total, "townships": len(townships),
                          **_reveal_details(reveal, total)})
    db.session.flush()
    return total
