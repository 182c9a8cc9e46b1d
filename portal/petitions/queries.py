"""Which petitions a user's lists and counts hold: always through `scoped()` (the access policy
of portal/access.py), then narrowed to one of the lists (mine, my unit's, due soon, overdue)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select

from portal.extensions import db
from portal.petitions.models import OPEN_STATES, Petition, PetitionExtension
from portal.petitions.units import APPROVER_ROLE, HANDLER_ROLE
from portal.tenancy import scoped

VIEWS = ("open", "mine", "unit", "due_soon", "overdue", "approval", "all")


def visible(access) -> Select:
    """Every petition `access` may see."""
    return scoped(select(Petition), access)


def my_units(access) -> ColumnElement[bool]:
    """Petitions whose handling unit is one the user is an official of."""
    conditions = []
    for kind, role in HANDLER_ROLE.items():
        if role not in access.roles:
            continue
        if kind == "township_dpf":
            if access.township is not None:
                conditions.append(and_(Petition.unit_kind == kind,
                                       Petition.unit_township_id == access.township.id))
        else:
            conditions.append(Petition.unit_kind == kind)
    return or_(*conditions) if conditions else false()


def awaiting_my_approval(access) -> ColumnElement[bool]:
    """Petitions with an extension waiting for an official of the user's approving role."""
    kinds = [kind for kind, role in APPROVER_ROLE.items() if role in access.roles]
    if not kinds:
        return false()
    pending = select(PetitionExtension.petition_id).where(PetitionExtension.status == "pending")
    return and_(Petition.state == "accepted", Petition.unit_kind.in_(kinds),
                Petition.id.in_(pending))


def is_open() -> ColumnElement[bool]:
    return Petition.state.in_(OPEN_STATES)


def overdue(today: date) -> ColumnElement[bool]:
    return and_(is_open(), Petition.due_on < today)


def due_soon(today: date, days: int) -> ColumnElement[bool]:
    return and_(is_open(), Petition.due_on >= today,
                Petition.due_on <= today + timedelta(days=days))


def narrowed(stmt: Select, view: str, access, today: date, soon_days: int) -> Select:
    """One list of `VIEWS` out of the visible petitions."""
    if view == "mine":
        return stmt.where(is_open(), Petition.handler_id == access.user_id)
    if view == "unit":
        return stmt.where(is_open(), my_units(access))
    if view == "due_soon":
        return stmt.where(due_soon(today, soon_days))
    if view == "overdue":
        return stmt.where(overdue(today))
    if view == "approval":
        return stmt.where(awaiting_my_approval(access))
    if view == "all":
        return stmt
    return stmt.where(is_open())


def ordered(stmt: Select, view: str) -> Select:
    if view == "all":
        return stmt.order_by(Petition.received_on.desc(), Petition.id.desc())
    return stmt.order_by(Petition.due_on.asc().nulls_last(), Petition.id)


def counts(access, today: date, soon_days: int) -> dict[str, int]:
    """How many petitions of each list the user sees (one query)."""
    base = visible(access).with_only_columns(
        func.count().filter(is_open()).label("open"),
        func.count().filter(and_(Petition.state == "received")).label("received"),
        func.count().filter(due_soon(today, soon_days)).label("due_soon"),
        func.count().filter(overdue(today)).label("overdue"),
        func.count().filter(awaiting_my_approval(access)).label("approval"),
    )
    row = db.session.execute(base).one()
    return dict(row._mapping)


def open_about(access, *, case_id: int | None = None,
               certificate_id: int | None = None) -> list[Petition]:
    """The open petitions the user may see that concern a case or a certificate."""
    conditions = []
    if case_id is not None:
        conditions.append(Petition.case_id == case_id)
    if certificate_id is not None:
        conditions.append(Petition.certificate_id == certificate_id)
    if not conditions:
        return []
    stmt = visible(access).where(is_open(), or_(*conditions)).order_by(Petition.id)
    return list(db.session.scalars(stmt.limit(20)))


# What the petition owes when it is overdue, by stage (for lists other areas keep).
OVERDUE_KINDS = {"received": "petition_acceptance_overdue",
                 "accepted": "petition_answer_overdue",
                 "under_review": "petition_review_overdue"}


def overdue_items(access, township, today: date) -> list[dict]:
    """The overdue petitions a township's DPF handles, as an overdue list gives them to a
    supervision notice: a kind, a reference the portal can link (never a name), the day it
    fell due."""
    stmt = visible(access).where(overdue(today), Petition.unit_kind == "township_dpf",
                                 Petition.unit_township_id == township.id)
    return [{"kind": OVERDUE_KINDS[p.state], "ref": f"petition:{p.id}",
             "since": p.due_on.isoformat()}
            for p in db.session.scalars(stmt.order_by(Petition.due_on, Petition.id))]


def overdue_by_township(access, today: date) -> dict[int, int]:
    """How many overdue petitions each township's DPF handles (the dashboard's figure)."""
    stmt = (visible(access).with_only_columns(Petition.unit_township_id, func.count())
            .where(overdue(today), Petition.unit_kind == "township_dpf")
            .group_by(Petition.unit_township_id))
    return dict(db.session.execute(stmt).all())
