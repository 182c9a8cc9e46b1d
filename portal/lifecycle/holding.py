"""What certificate a person holds now, wherever the portal knows it from: a card the portal
printed and handed over, or the register of holders (the national database's export or an
entry by hand). Requests copy it when they are registered."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from portal.certificates.models import Certificate, Handover
from portal.extensions import db
from portal.register.models import HolderEntry
from portal.rosters.models import Person

# Card statuses that still stand for a certificate that is held: a void card was replaced by
# a new card of the same certificate (the holder keeps the certificate meanwhile).
HELD_CARD_STATUSES = ("valid", "void")


@dataclass
class Holding:
    """A person's current certificate as the portal knows it."""

    number: str
    category: str
    grade: int
    issued_on: date | None
    expires_on: date
    source: str  # "portal" (a card the portal handed over), "national_db" or "manual"
    certificate: Certificate | None = None
    entry: HolderEntry | None = None

    def valid_on(self, day: date) -> bool:
        return self.expires_on >= day


def handed_over_card(person: Person, exclude_id: int | None = None) -> Certificate | None:
    """The person's newest card handed over by the portal that still stands (valid first,
    then void), other than `exclude_id`."""
    stmt = (select(Certificate).join(Handover, Handover.certificate_id == Certificate.id)
            .where(Certificate.person_id == person.id,
                   Certificate.status.in_(HELD_CARD_STATUSES))
            .order_by(Certificate.status != "valid", Certificate.issue_date.desc(),
                      Certificate.id.desc()))
    if exclude_id is not None:
        stmt = stmt.where(Certificate.id != exclude_id)
    return db.session.scalars(stmt.limit(1)).first()


def register_entry(person: Person) -> HolderEntry | None:
    return db.session.scalars(
        select(HolderEntry).where(HolderEntry.person_id == person.id)).first()


def current_holding(person: Person, exclude_id: int | None = None) -> Holding | None:
    """The certificate the person holds (expired or not), or None; `exclude_id` leaves out a
    card being handed over right now (the holding it replaces is wanted)."""
    card = handed_over_card(person, exclude_id)
    entry = register_entry(person)
    if card is not None:
        return Holding(card.number, card.category, card.grade, card.issue_date,
                       card.expires_on, "portal", card, entry)
    if entry is not None and entry.source != "handover":
        return Holding(entry.certificate_number, entry.category, entry.grade, entry.issued_on,
                       entry.expires_on, entry.source, None, entry)
    return None


def next_card_serial(number: str, holding_source: str) -> int:
    """Which card of the certificate a new one will be: the cards the portal printed with this
    number (a card of a cancelled print batch was never printed), plus the card of the national
    database when the certificate came from there."""
    printed = db.session.scalar(
        select(func.count()).select_from(Certificate)
        .where(Certificate.number == number, Certificate.printed_on.is_not(None))) or 0
    return printed + (0 if holding_source == "portal" else 1) + 1
