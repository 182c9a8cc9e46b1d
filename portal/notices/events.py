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


# --- the case workflow's effects (named by the table in portal/cases/workflow.py) ----------

def _register_effects() -> None:
    from portal.cases.effects import effect

    @effect("tell_publicity_started")
    def tell_publicity_started(case, actor, data: dict) -> None:
        """The person (or guardian) hears that the result is on public notice, and until when."""
        notify("publicity_started", person=case.person, case=case,
               key=f"case:{case.id}:publicity:{case.publicity_starts_on.isoformat()}",
               params={"start": day_text(case.publicity_starts_on),
                       "end": day_text(case.publicity_ends_on)})

    @effect("tell_result_and_appeal")
    def tell_result_and_appeal(case, actor, data: dict) -> None:
        """The person hears the result is ready and the last day to ask for re-assessment."""
        notify("result_ready", person=case.person, case=case,
               key=f"case:{case.id}:result:{case.notified_on.isoformat()}",
               params={"appeal_by": day_text(case.appeal_due_on)})


_register_effects()


# --- events of other areas, called by their services -----------------------------------------

BRING = "身份证、户口簿、近期一寸照片、病历或诊断材料"


def day_invitation(case, day) -> None:
    """A case placed on a concentrated day: the date, the hospital and what to bring."""
    place = "、".join(h.name for h in day.hospitals) or "乡镇指定地点"
    notify("day_invitation", person=case.person, case=case,
           key=f"case:{case.id}:day:{day.id}:{day.day.isoformat()}",
           params={"date": day_text(day.day), "place": place, "bring": BRING})


def home_visit_booked(case, visit) -> None:
    notify("home_visit_booked", person=case.person, case=case,
           key=f"case:{case.id}:visit:{visit.id}:{visit.visit_date.isoformat()}",
           params={"date": f"{day_text(visit.visit_date)} {visit.starts_at:%H:%M}"})


def video_assessment(case, session, join_url: str, local_time) -> None:
    """The guardian's join link and the time (the link is the guardian's key to the room)."""
    notify("video_assessment", person=case.person, case=case,
           key=f"case:{case.id}:video:{session.id}:{session.join_nonce}",
           params={"time": f"{day_text(local_time.date())} {local_time:%H:%M}",
                   "link": join_url})


def certificates_ready(batch) -> None:
    """A parcel received by the township: each holder hears where to collect the card."""
    from portal.extensions import db
    from portal.reference.models import Township

    township = db.session.get(Township, batch.township_id)
    for certificate in batch.certificates:
        notify("certificate_ready", person=certificate.person, case=certificate.case,
               key=f"certificate:{certificate.id}:ready:{batch.id}",
               params={"place": f"{township.name}残联"})
