"""The expired holders not renewed as the next campaign's Attachment 1 (过期失效持证残疾人名单):
the same workbook as the roster export (portal/imports/writer.py), so that it reads back
through the roster import unchanged."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO

from portal.audit.services import record_event
from portal.domain.idcard import mask, mask_phone
from portal.expiring.services import expired_stmt
from portal.extensions import db
from portal.imports.columns import TITLES
from portal.imports.writer import write_rosters
from portal.reference.models import Village
from portal.rosters.models import Person
from portal.tenancy import Access


def attachment1_title(township, as_of: date) -> str:
    return f"{township.name}{TITLES['expired']}（截至{as_of.isoformat()}）"


def _rows(access: Access, as_of: date, reveal: bool) -> Iterator[dict]:
    """The rows keyed like the attachment's columns; ID, certificate numbers and phones
    masked as the lists show them unless `reveal`."""
    shown = (lambda v: v) if reveal else mask
    phone = (lambda v: v) if reveal else mask_phone
    stmt = (expired_stmt(access, as_of).outerjoin(Village, Village.id == Person.village_id)
            .add_columns(Village.name.label("village_name")))
    for person, _case, village in db.session.execute(stmt):
        yield {
            "name": person.name, "gender": person.gender, "ethnicity": person.ethnicity,
            "id_number": shown(person.id_number),
            "village": village or "",
            "phone": phone(person.phone), "poverty": person.poverty_registered,
            "mobility": person.mobility,
            "certificate_number": shown(person.certificate_number),
            "category": person.certificate_category, "grade": person.certificate_grade,
            "expires_on": person.certificate_expires_on,
        }


def export_attachment1(access: Access, township, actor, as_of: date,
                       target: str | Path | IO[bytes], *, reveal: bool = False) -> int:
    """Write the township's expired holders not renewed on `as_of` in the Attachment 1
    format; returns the number of rows. Audited with the count (and whether in clear)."""
    (count,) = write_rosters(target, "expired", [
        (township.name, attachment1_title(township, as_of), _rows(access, as_of, reveal))])
    record_event("expiring.attachment1_exported", actor=actor, township_id=township.id,
                 object_type="persons",
                 details={"as_of": as_of.isoformat(), "rows": count, "masked": not reveal,
                          "revealed": count if reveal else 0})
    db.session.flush()
    return count
