"""What the township's and the city's batch pages share: lists, the batch page, the print."""
from __future__ import annotations

from datetime import date

from flask import render_template
from sqlalchemy import func, select

from portal.auth.roles import Permission
from portal.batches.forms import (
    CATEGORY_LABELS,
    MEMBER_LABELS,
    ORGANISER_LABELS,
    STATUS_LABELS,
)
from portal.batches.models import AssessmentBatch, AssistanceUnit, BatchMember
from portal.batches.services import (
    BatchData,
    batch_township_ids,
    members_of,
    places_taken,
    unit_township_ids,
)
from portal.cases.models import Case
from portal.domain.idcard import mask
from portal.extensions import db
from portal.labels import LABELS
from portal.reference.models import Hospital, Township
from portal.tenancy import current_access, scoped


def hospitals() -> list[Hospital]:
    return list(db.session.scalars(select(Hospital).order_by(Hospital.name)))


def townships_named(ids) -> list[Township]:
    if not ids:
        return []
    return list(db.session.scalars(select(Township).where(Township.id.in_(sorted(ids)))
                                   .order_by(Township.position, Township.name)))


def id_fragment(number: str) -> str:
    """The last four ID characters to those who may reveal the number, else the list mask."""
    if current_access().can(Permission.REVEAL_PERSONAL_DATA):
        return "…" + number[-4:]
    return mask(number)


def case_label(case: Case) -> str:
    person = case.person
    parts = [person.name]
    if person.village:
        parts.append(person.village.name)
    if case.requested_category:
        parts.append(str(LABELS["category"].get(case.requested_category, "")))
    parts.append(mask(person.id_number))
    return " · ".join(parts)


def age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def batch_data(form) -> BatchData:
    townships = getattr(form, "townships", None)
    return BatchData(
        organiser=form.organiser.data, unit_id=form.unit.data or None,
        township_ids=list(townships.data or []) if townships is not None else [],
        category=form.category.data, hospital_id=form.hospital.data,
        held_on=form.held_on.data, places=form.places.data,
        transport=form.transport.data or "", companions=form.companions.data or "",
        note=form.note.data or "")


def _own_counts(batch_ids: list[int]) -> dict[int, int]:
    """Persons of each batch the user sees (a township: its own)."""
    if not batch_ids:
        return {}
    stmt = (scoped(select(BatchMember.batch_id, func.count(BatchMember.id)))
            .where(BatchMember.batch_id.in_(batch_ids), BatchMember.status != "moved")
            .group_by(BatchMember.batch_id))
    return dict(db.session.execute(stmt).all())


def batch_list(*, city: bool):
    batches = list(db.session.scalars(scoped(select(AssessmentBatch))
                                      .order_by(AssessmentBatch.held_on.desc(),
                                                AssessmentBatch.id.desc())))
    access = current_access()
    return render_template(
        "batches/list.html", batches=batches, city=city,
        own=_own_counts([b.id for b in batches]),
        taken={b.id: places_taken(b) for b in batches},
        category_labels=CATEGORY_LABELS, status_labels=STATUS_LABELS,
        organiser_labels=ORGANISER_LABELS, can_schedule=access.can(Permission.SCHEDULE))


def unit_rows():
    units = list(db.session.scalars(scoped(select(AssistanceUnit))
                                    .order_by(AssistanceUnit.name)))
    return [(u, townships_named(unit_township_ids(u))) for u in units]


def render_batch(batch: AssessmentBatch, members: list[BatchMember], *, city: bool, **forms):
    return render_template(
        "batches/show.html", batch=batch, members=members, city=city,
        townships=townships_named(batch_township_ids(batch)), taken=places_taken(batch),
        category_labels=CATEGORY_LABELS, status_labels=STATUS_LABELS,
        organiser_labels=ORGANISER_LABELS, member_labels=MEMBER_LABELS,
        id_fragment=id_fragment, **forms)


def render_print(batch: AssessmentBatch, *, city: bool):
    members = [m for m in members_of(batch, current_access()) if m.status != "moved"]
    return render_template(
        "batches/print.html", batch=batch, members=members, city=city,
        townships=townships_named(batch_township_ids(batch)),
        category_labels=CATEGORY_LABELS, organiser_labels=ORGANISER_LABELS,
        age=age, id_fragment=id_fragment)
