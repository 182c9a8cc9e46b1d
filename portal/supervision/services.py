"""Supervision notices and accountability records: issue, answer, accept or return, escalate.

Services change the session and write the audit; the request or command commits.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portal.audit.services import record_event
from portal.extensions import db
from portal.refusals import Refused
from portal.supervision.models import (
    HEALTH_UNITS,
    AccountabilityRecord,
    SupervisionNotice,
)

OPEN = ("open", "escalated")


def _next_number(today: date) -> str:
    """督办〔2026〕7号: numbered within the year of issue."""
    issued = db.session.scalar(select(func.count(SupervisionNotice.id)).where(
        SupervisionNotice.number.like(f"督办〔{today.year}〕%"))) or 0
    return f"督办〔{today.year}〕{issued + 1}号"


def issue_notice(actor, *, source: str, items: list[dict], required_action: str, due_on: date,
                 today: date, township=None, unit: str = "township",
                 unit_name: str = "") -> SupervisionNotice:
    if not required_action.strip():
        raise Refused("supervision_action_required", field="required_action")
    if due_on <= today:
        raise Refused("supervision_due_in_future", field="due_on")
    if unit == "township" and township is None:
        raise Refused("supervision_target_required", field="target")
    if unit in HEALTH_UNITS and not unit_name.strip():
        raise Refused("supervision_target_required", field="target")
    notice = SupervisionNotice(
        number=_next_number(today), unit=unit,
        township_id=township.id if unit == "township" else None,
        unit_name=unit_name.strip() if unit != "township" else "", source=source,
        items=items, required_action=required_action.strip(), due_on=due_on, state="open",
        issued_by_id=actor.id, issued_on=today)
    db.session.add(notice)
    db.session.flush()
    record_event("supervision.issued", actor=actor, township_id=notice.township_id, obj=notice,
                 details={"number": notice.number, "source": source, "items": len(items),
                          "due_on": due_on.isoformat()})
    return notice


def answer_notice(notice: SupervisionNotice, actor, text: str, today: date) -> None:
    if notice.state not in OPEN:
        raise Refused("supervision_not_open")
    if not text.strip():
        raise Refused("supervision_answer_required", field="answer")
    late = notice.due_on < today
    notice.state, notice.answer = "answered", text.strip()
    notice.answered_by_id, notice.answered_on = actor.id, today
    record_event("supervision.answered", actor=actor, township_id=notice.township_id,
                 obj=notice, details={"late": late})


def accept_answer(notice: SupervisionNotice, actor, today: date) -> None:
    if notice.state != "answered":
        raise Refused("supervision_not_answered")
    notice.state, notice.closed_on = "closed", today
    record_event("supervision.closed", actor=actor, township_id=notice.township_id, obj=notice)


def return_answer(notice: SupervisionNotice, actor, reason: str, due_on: date,
                  today: date) -> None:
    """The answer does not do what was required: the unit must act again by `due_on`."""
    if notice.state != "answered":
        raise Refused("supervision_not_answered")
    if not reason.strip():
        raise Refused("supervision_reason_required", field="reason")
    if due_on <= today:
        raise Refused("supervision_due_in_future", field="due_on")
    notice.state, notice.due_on = "open", due_on
    record_event("supervision.returned", actor=actor, township_id=notice.township_id,
                 obj=notice, details={"reason": reason.strip(), "due_on": due_on.isoformat()})


def escalate_overdue(today: date) -> list[SupervisionNotice]:
    """Notices not answered by their due date are escalated (once), and stay red."""
    notices = db.session.scalars(select(SupervisionNotice).where(
        SupervisionNotice.state == "open", SupervisionNotice.due_on < today)).all()
    for notice in notices:
        notice.state, notice.escalated_on = "escalated", today
        record_event("supervision.escalated", township_id=notice.township_id, obj=notice,
                     details={"due_on": notice.due_on.isoformat()})
    return list(notices)


def record_accountability(actor, *, unit_name: str, person_name: str, finding: str,
                          measure: str, decided_on: date, document_number: str, today: date,
                          township=None, notice=None) -> AccountabilityRecord:
    for name, value in (("unit_name", unit_name), ("finding", finding), ("measure", measure),
                        ("document_number", document_number)):
        if not value.strip():
            raise Refused("accountability_field_required", field=name)
    if decided_on > today:
        raise Refused("accountability_decided_in_future", field="decided_on")
    record = AccountabilityRecord(
        township_id=getattr(township, "id", None), notice_id=getattr(notice, "id", None),
        unit_name=unit_name.strip(), person_name=person_name.strip(), finding=finding.strip(),
        measure=measure.strip(), decided_on=decided_on,
        document_number=document_number.strip(), recorded_by_id=actor.id)
    db.session.add(record)
    db.session.flush()
    record_event("accountability.recorded", actor=actor, township_id=record.township_id,
                 obj=record, details={"document_number": record.document_number})
    return record
