"""Transfers (迁移): the sending township requests, the receiving township accepts or declines;
a move out of the county closes the person here. Services change the session and never commit.

On acceptance the person and every row that belongs to them (see `moving.py`) become the
receiving township's, on the day of the acceptance: from then on its lists, register, cases,
dashboards and holding rate count them, and the sending township's do not. Both townships'
dashboard figures are marked for recomputation in the same unit of work.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.audit.services import record_event
from portal.cases.models import OPEN_STATES, Case
from portal.clock import local_today
from portal.dashboards.figures import mark_stale
from portal.domain.idcard import mask
from portal.extensions import db
from portal.reference.models import Township, Village
from portal.refusals import Refused
from portal.rls import across_townships
from portal.rosters.models import Guardianship, Person, RosterEntry
from portal.rosters.services import end_guardianship
from portal.transfers.models import Transfer
from portal.transfers.moving import end_cadre_assignments, move_rows, rows_to_move


def open_case_id(person_id: int) -> int | None:
    """The person's open case, if any (one at most)."""
    return db.session.scalars(select(Case.id).where(
        Case.person_id == person_id, Case.state.in_(sorted(OPEN_STATES))).limit(1)).first()


def pending_transfer_of(person_id: int) -> Transfer | None:
    return db.session.scalars(select(Transfer).where(
        Transfer.person_id == person_id, Transfer.state == "requested")).first()


def check_movable(person: Person) -> None:
    """Refuse to move a person who is dead, gone, or in the middle of a case: the township
    that began the case finishes or withdraws it first."""
    if person.deceased:
        raise Refused("transfer_person_deceased")
    if person.left_county_on is not None:
        raise Refused("transfer_person_left_county", day=person.left_county_on.isoformat())
    case_id = open_case_id(person.id)
    if case_id is not None:
        raise Refused("transfer_open_case", case=case_id)


def _snapshot(person: Person) -> dict:
    """What the receiving township sees of the person before it accepts."""
    return {
        "person_name": person.name, "id_masked": mask(person.id_number),
        "gender": person.gender, "birth_year": person.birth_date.year,
        "certificate_category": person.certificate_category,
        "certificate_grade": person.certificate_grade,
        "certificate_expires_on": person.certificate_expires_on,
        "poverty_registered": bool(person.poverty_registered),
        "mobility": person.mobility,
    }


def _insert(transfer: Transfer) -> None:
    """Insert the transfer; the database refuses a second pending one for the person."""
    try:
        with db.session.begin_nested():
            db.session.add(transfer)
    except IntegrityError:
        raise Refused("transfer_pending_exists") from None


def request_transfer(person: Person, township: Township, actor, *, to_township: Township,
                     new_address: str = "", reason: str = "",
                     today: date | None = None) -> Transfer:
    """The sending township asks the receiving one to take the person."""
    if to_township.id == township.id:
        raise Refused("transfer_same_township", field="to_township")
    check_movable(person)
    if pending_transfer_of(person.id) is not None:
        raise Refused("transfer_pending_exists")
    transfer = Transfer(
        township_id=township.id, person_id=person.id, kind="within_county",
        state="requested", to_township_id=to_township.id, new_address=new_address.strip(),
        reason=reason.strip(), requested_on=today or local_today(), requested_by_id=actor.id,
        **_snapshot(person))
    _insert(transfer)
    db.session.flush()
    record_event("transfer.requested", actor=actor, obj=transfer,
                 details={"person_id": person.id, "to": to_township.code})
    return transfer


def _claim(transfer: Transfer, to_state: str, actor, today: date, note: str,
           **values) -> None:
    """Move a pending transfer to `to_state` once: of two answers given at the same time,
    the second finds it no longer pending."""
    done = db.session.execute(
        update(Transfer).where(Transfer.id == transfer.id, Transfer.state == "requested")
        .values(state=to_state, decided_on=today, decided_by_id=actor.id,
                decision_note=note.strip(), **values)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Refused("transfer_not_pending")
    db.session.expire(transfer)


def withdraw_transfer(transfer: Transfer, township: Township, actor, *, note: str = "",
                      today: date | None = None) -> None:
    """The sending township takes its request back before it is answered."""
    if transfer.township_id != township.id:
        raise Refused("transfer_not_sender", status=403)
    _claim(transfer, "withdrawn", actor, today or local_today(), note)
    record_event("transfer.withdrawn", actor=actor, obj=transfer,
                 details={"person_id": transfer.person_id})


def decline_transfer(transfer: Transfer, township: Township, actor, *, reason: str,
                     today: date | None = None) -> None:
    """The receiving township declines, with the reason the sending township reads."""
    if transfer.to_township_id != township.id:
        raise Refused("transfer_not_receiver", status=403)
    if not reason.strip():
        raise Refused("transfer_reason_required", field="reason")
    _claim(transfer, "declined", actor, today or local_today(), reason)
    record_event("transfer.declined", actor=actor, township_id=township.id, obj=transfer,
                 details={"person_id": transfer.person_id})


def _receiving_village(township: Township, village_id: int | None) -> int | None:
    if not village_id:
        return None
    village = db.session.get(Village, village_id)
    if village is None or village.township_id != township.id:
        raise Refused("transfer_village_unknown", field="village")
    return village.id


def accept_transfer(transfer: Transfer, township: Township, actor, *,
                    village_id: int | None = None, note: str = "",
                    today: date | None = None) -> dict[str, int]:
    """The receiving township takes the person: the person, the certificate and the history
    are its own from `today`. Returns the rows moved per table."""
    if transfer.to_township_id != township.id:
        raise Refused("transfer_not_receiver", status=403)
    if not transfer.pending:
        raise Refused("transfer_not_pending")
    today = today or local_today()
    village = _receiving_village(township, village_id)
    sender = transfer.township_id
    # The one deliberate reach into the sending township: once the request is known to be
    # this township's to answer, every row of the person is read and handed over (row-level
    # security would hide them otherwise).
    with across_townships(db.session.connection()):
        person = db.session.get(Person, transfer.person_id, populate_existing=True)
        if person is None or person.township_id != sender:
            raise Refused("transfer_person_moved")
        check_movable(person)
        _claim(transfer, "accepted", actor, today, note, to_village_id=village)
        cadres = end_cadre_assignments(person.id)
        counts = move_rows(rows_to_move(person.id), township.id)
        db.session.execute(update(Person).where(Person.id == person.id).values(
            village_id=village,
            **({"address": transfer.new_address} if transfer.new_address else {}))
            .execution_options(synchronize_session=False))
        mark_stale(sender)
        mark_stale(township.id)
    db.session.expire_all()
    db.session.execute(update(Transfer).where(Transfer.id == transfer.id).values(moved=counts)
                       .execution_options(synchronize_session=False))
    record_event("transfer.accepted", actor=actor, township_id=township.id, obj=transfer,
                 details={"person_id": transfer.person_id, "from_township_id": sender,
                          "moved": counts, "cadre_assignments_ended": cadres})
    return counts


def record_left_county(person: Person, township: Township, actor, *, destination: str,
                       reason: str = "", today: date | None = None) -> Transfer:
    """The person moved out of the county: closed here from `today`, the destination
    recorded; they count nowhere in the county's figures from that day."""
    if not destination.strip():
        raise Refused("transfer_destination_required", field="destination")
    check_movable(person)
    if pending_transfer_of(person.id) is not None:
        raise Refused("transfer_pending_exists")
    today = today or local_today()
    transfer = Transfer(
        township_id=township.id, person_id=person.id, kind="out_of_county",
        state="left_county", destination=destination.strip(), reason=reason.strip(),
        requested_on=today, requested_by_id=actor.id, decided_on=today,
        decided_by_id=actor.id, **_snapshot(person))
    _insert(transfer)
    person.left_county_on = today
    _close_links(person, actor, destination.strip())
    db.session.flush()
    record_event("transfer.left_county", actor=actor, obj=transfer,
                 details={"person_id": person.id})
    return transfer


def _close_links(person: Person, actor, destination: str) -> None:
    """Nobody works for a person who left: guardians' access ends, cadres' assignments end,
    the survey-list entries still open are withdrawn."""
    from flask_babel import gettext as _

    links = db.session.scalars(select(Guardianship).where(
        Guardianship.person_id == person.id, Guardianship.ended_at.is_(None))).all()
    for link in links:
        end_guardianship(link, actor=actor,
                         reason=_("Moved out of the county: %(place)s", place=destination))
    end_cadre_assignments(person.id)
    for entry in db.session.scalars(select(RosterEntry).where(
            RosterEntry.person_id == person.id,
            RosterEntry.status.in_(("open", "in_progress")))):
        entry.status = "withdrawn"
