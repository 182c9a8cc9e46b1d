"""A drill-down list of the dashboard as an Excel workbook: masked unless the user may reveal
personal data, and audited (how many rows left in clear)."""
from __future__ import annotations

from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy import select

from portal.audit.services import record_event
from portal.dashboards.figures import drill_down_condition
from portal.domain.idcard import mask, mask_phone
from portal.extensions import db
from portal.imports.writer import safe_row
from portal.reference.models import Township, Village
from portal.rosters.models import Person
from portal.tenancy import Access, scoped


def drill_down_workbook(access: Access, actor, kind: str, title: str, today,
                        township_id: int | None, reveal: bool) -> tuple[int, BytesIO]:
    """Every person of the drill-down list `kind` (within `township_id` when given): the
    rows and the workbook."""
    stmt = (scoped(select(Person, Village.name), access)
            .outerjoin(Village, Village.id == Person.village_id)
            .where(drill_down_condition(kind, today)))
    if township_id is not None:
        stmt = stmt.where(Person.township_id == township_id)
    names = dict(db.session.execute(select(Township.id, Township.name)).all())
    id_value = (lambda v: v or "") if reveal else mask
    phone_value = (lambda v: v or "") if reveal else mask_phone
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.append(safe_row([title]))
    ws.append(safe_row([_("Township"), _("Village"), _("Name"), _("ID number"), _("Phone"),
                        _("Certificate number"), _("Certificate expired on")]))
    rows = 0
    for person, village in db.session.execute(
            stmt.order_by(Person.township_id, Person.village_id, Person.id)):
        ws.append(safe_row([names.get(person.township_id, ""), village or "", person.name,
                            id_value(person.id_number), phone_value(person.phone),
                            id_value(person.certificate_number),
                            person.certificate_expires_on]))
        rows += 1
    record_event("dashboard.list_exported", actor=actor, township_id=township_id,
                 object_type="persons",
                 details={"kind": kind, "rows": rows, "masked": not reveal,
                          "revealed": rows if reveal else 0})
    data = BytesIO()
    wb.save(data)
    data.seek(0)
    return rows, data
