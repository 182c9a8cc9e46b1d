"""The overdue lists a supervision notice can be opened from, each as one function.

A source gives, for one township and a day, the overdue items as plain rows — a kind, a
reference the portal can link (a case number, never a name) and the day the item fell due —
so that the notice keeps what was overdue when it was issued.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.reference.models import Township
from portal.tenancy import Access, scoped


@dataclass(frozen=True)
class Source:
    label: object
    collect: Callable[[Access, Township, date], list[dict]]


def _cases(access: Access, township: Township, today: date) -> list[dict]:
    from portal.cases.models import Case
    from portal.cases.services import overdue_items

    stmt = scoped(select(Case), access).where(Case.township_id == township.id)
    return [{"kind": item.reason, "ref": f"case:{item.case.id}", "since": item.since.isoformat()}
            for item in overdue_items(stmt, today)]


def _certificates(access: Access, township: Township, today: date) -> list[dict]:
    from portal.certificates.services import overdue_certificates

    return [{"kind": row.kind, "ref": f"case:{row.case_id}", "since": row.since.isoformat()}
            for row in overdue_certificates(access, today) if row.township_id == township.id]


def _home_visits(access: Access, township: Township, today: date) -> list[dict]:
    from portal.scheduling.models import HomeVisit

    visits = db.session.scalars(scoped(select(HomeVisit), access).where(
        HomeVisit.township_id == township.id, HomeVisit.status == "booked",
        HomeVisit.visit_date < today).order_by(HomeVisit.visit_date))
    return [{"kind": "home_visit_not_done", "ref": f"case:{visit.case_id}",
             "since": visit.visit_date.isoformat()} for visit in visits]


def _roster_report(access: Access, township: Township, today: date) -> list[dict]:
    from portal.reference.services import active_campaign
    from portal.rosters.services import report_statuses

    statuses, deadline = report_statuses(
        access, active_campaign(), datetime.now(UTC),
        current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return [{"kind": "roster_report_late", "ref": f"township:{township.code}",
             "since": deadline.isoformat()}
            for status in statuses if status.township.id == township.id
            and status.state == "late" and deadline is not None]


def _petitions(access: Access, township: Township, today: date) -> list[dict]:
    from portal.petitions.queries import overdue_items

    return overdue_items(access, township, today)


SOURCES: dict[str, Source] = {
    "cases": Source(_l("Cases past a deadline (公示, review, appeal)"), _cases),
    "certificates": Source(_l("Certificates idle (not printed, sent, received or handed over)"),
                           _certificates),
    "home_visits": Source(_l("Home visits not done"), _home_visits),
    "roster_report": Source(_l("Roster report late"), _roster_report),
    "petitions": Source(_l("Petitions past their time limit"), _petitions),
}

ITEM_LABELS = {
    "publicity": _l("公示 over, not sent on"),
    "review": _l("City review overdue"),
    "appeal": _l("Appeal window over, not closed"),
    "not_printed": _l("Approved, not printed"),
    "not_dispatched": _l("Printed, not sent"),
    "not_received": _l("Sent, not acknowledged"),
    "not_handed_over": _l("Received, not handed over"),
    "home_visit_not_done": _l("Home visit not done"),
    "roster_report_late": _l("Roster report not submitted"),
    "petition_acceptance_overdue": _l("Petition: acceptance not decided in time"),
    "petition_answer_overdue": _l("Petition: not answered in time"),
    "petition_review_overdue": _l("Petition: review not answered in time"),
}


def collect(source: str, access: Access, township: Township, today: date) -> list[dict]:
    return SOURCES[source].collect(access, township, today)

STATE_LABELS = {
    "open": _l("Waiting for the answer"),
    "escalated": _l("Escalated: not answered in time"),
    "answered": _l("Answered: to check"),
    "closed": _l("Closed"),
}
