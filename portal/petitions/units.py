"""The handling units of petitions: who handles, who approves, where a petition goes up to.

| unit            | handled by                                  | extension approved by  |
|-----------------|---------------------------------------------|------------------------|
| township DPF    | township staff of that township              | city DPF administrator |
| city DPF        | city DPF administrators                      | city DPF administrator |
| health bureau   | health coordinators                          | health coordinator     |
| a hospital      | health coordinators, for the hospital        | health coordinator     |

The portal has no account of a hospital's own: the health bureau, which oversees the designated
hospitals, handles in their name what is assigned to one. An approver is always another user
than the one who asked (services check it).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.roles import Role
from portal.extensions import db
from portal.reference.models import Hospital, Township

UNIT_LABELS = {
    "township_dpf": _l("Township DPF"),
    "city_dpf": _l("City DPF"),
    "health_bureau": _l("Health bureau"),
    "hospital": _l("Hospital"),
}
HANDLER_ROLE = {"township_dpf": Role.TOWNSHIP_STAFF, "city_dpf": Role.CITY_ADMIN,
                "health_bureau": Role.HEALTH_COORDINATOR, "hospital": Role.HEALTH_COORDINATOR}
APPROVER_ROLE = {"township_dpf": Role.CITY_ADMIN, "city_dpf": Role.CITY_ADMIN,
                 "health_bureau": Role.HEALTH_COORDINATOR,
                 "hospital": Role.HEALTH_COORDINATOR}
# One level up: where an escalation goes and who reviews an answer (复查). The city DPF has
# no level above it in the portal: its answers are reviewed by another of its officials.
ABOVE = {"township_dpf": "city_dpf", "hospital": "health_bureau",
         "health_bureau": "city_dpf", "city_dpf": None}


@dataclass(frozen=True)
class Unit:
    """A handling unit: its kind, and the township or hospital it is when it is one of many."""

    kind: str
    township_id: int | None = None
    hospital_id: int | None = None

    @classmethod
    def of(cls, petition) -> Unit:
        return cls(petition.unit_kind, petition.unit_township_id, petition.unit_hospital_id)

    @classmethod
    def parse(cls, value: str | None) -> Unit | None:
        """From a form value: `city_dpf`, `health_bureau`, `township_dpf:3`, `hospital:2`."""
        kind, _, number = (value or "").partition(":")
        if kind in ("city_dpf", "health_bureau") and not number:
            return cls(kind)
        if kind in ("township_dpf", "hospital") and number.isdigit():
            return (cls(kind, township_id=int(number)) if kind == "township_dpf"
                    else cls(kind, hospital_id=int(number)))
        return None

    @property
    def value(self) -> str:
        if self.kind == "township_dpf":
            return f"township_dpf:{self.township_id}"
        if self.kind == "hospital":
            return f"hospital:{self.hospital_id}"
        return self.kind

    def assign_to(self, petition) -> None:
        petition.unit_kind = self.kind
        petition.unit_township_id = self.township_id if self.kind == "township_dpf" else None
        petition.unit_hospital_id = self.hospital_id if self.kind == "hospital" else None

    def above(self) -> Unit | None:
        kind = ABOVE[self.kind]
        return Unit(kind) if kind else None


def handles(access, petition) -> bool:
    """Whether `access` is an official of the unit handling `petition` now."""
    if access is None or HANDLER_ROLE[petition.unit_kind] not in access.roles:
        return False
    if petition.unit_kind == "township_dpf":
        return access.township is not None and access.township.id == petition.unit_township_id
    return True


def handles_unit(access, unit: Unit) -> bool:
    """Whether `access` is an official of `unit`."""
    if access is None or HANDLER_ROLE[unit.kind] not in access.roles:
        return False
    if unit.kind == "township_dpf":
        return access.township is not None and access.township.id == unit.township_id
    return True


def may_approve(access, petition) -> bool:
    """Whether `access` holds the role that decides on the petition's extension."""
    return access is not None and APPROVER_ROLE[petition.unit_kind] in access.roles


def unit_name(kind: str, township: Township | None = None,
              hospital: Hospital | None = None) -> str:
    """`芒海镇 · Township DPF`, `City DPF`, `德宏州医院`."""
    if kind == "township_dpf" and township is not None:
        return f"{township.name} · {UNIT_LABELS[kind]}"
    if kind == "hospital" and hospital is not None:
        return hospital.name
    return str(UNIT_LABELS.get(kind, kind))


def petition_unit_name(petition) -> str:
    return unit_name(petition.unit_kind, petition.unit_township, petition.unit_hospital)


def unit_choices(township: Township | None = None) -> list[tuple[str, str]]:
    """Every unit a petition may go to: from a township's pages, that township's DPF first."""
    townships = ([township] if township is not None else
                 list(db.session.scalars(select(Township).order_by(Township.position))))
    hospitals = list(db.session.scalars(select(Hospital).order_by(Hospital.name)))
    choices = [(Unit("township_dpf", township_id=t.id).value, unit_name("township_dpf", t))
               for t in townships]
    choices += [("city_dpf", str(UNIT_LABELS["city_dpf"])),
                ("health_bureau", str(UNIT_LABELS["health_bureau"]))]
    choices += [(Unit("hospital", hospital_id=h.id).value, h.name) for h in hospitals]
    return choices


def unit_exists(unit: Unit) -> bool:
    if unit.kind == "township_dpf":
        return db.session.get(Township, unit.township_id) is not None
    if unit.kind == "hospital":
        return db.session.get(Hospital, unit.hospital_id) is not None
    return True


def unit_label(value: str | None) -> str:
    """The name of a unit written as a form value (timeline details keep units so)."""
    unit = Unit.parse(value)
    if unit is None:
        return ""
    township = db.session.get(Township, unit.township_id) if unit.township_id else None
    hospital = db.session.get(Hospital, unit.hospital_id) if unit.hospital_id else None
    return unit_name(unit.kind, township, hospital)
