"""The events that tell people something, each as one small function the area calls in the
same unit of work as the change (or the workflow runs as a transition's effect).

Dates are written the way people read them (12月8日); places by their names. Nothing here
names a category, a grade or an ID number (portal/notices/kinds.py refuses them anyway).
"""
from __future__ import annotations

from datetime import date

from portal.notices.services import notify


def day_text(day: date) -> str:
    return f"{day.month}月{day.day}日"


def petition_told(petition, kind: str) -> None:
    """A petition accepted or answered: the petitioner hears by SMS when the petition belongs
    to a township (its office calls a petitioner who cannot be reached); a petition of the
    city alone is told by its handler, as the petition's page records."""
    from portal.extensions import db
    from portal.petitions.units import unit_name
    from portal.reference.models import Hospital, Township

    township_id = petition.township_id or petition.unit_township_id
    if township_id is None or not petition.petitioner_phone:
        return
    if kind == "petition_accepted":
        params = {"reference": petition.reference,
                  "due": day_text(petition.answer_due_on)}
    else:
        township = (db.session.get(Township, petition.unit_township_id)
                     if petition.unit_township_id else None)
        hospital = (db.session.get(Hospital, petition.unit_hospital_id)
                    if petition.unit_hospital_id else None)
        params = {"reference": petition.reference,
                  "place": str(unit_name(petition.unit_kind, township, hospital))}
    notify(kind, key=f"petition:{petition.id}:{kind}", params=params, township_id=township_id,
           recipient=petition.petitioner_phone, person=None)


def expiring_notices(today: date) -> int:
    """A notice to every holder whose certificate expires in 90 days (run daily; an expiry
    date is told once)."""
    from portal.expiring.services import holders_due_notice
    from portal.extensions import db
    from portal.rosters.models import Person

    due = holders_due_notice(today=today)
    for holder in due:
        notify("certificate_expiring", person=db.session.get(Person, holder.person_id),
               key=f"expiring:{holder.person_id}:{holder.expires_on.isoformat()}",
               params={"date": day_text(holder.expires_on)})
    return len(due)
