"""The monthly supervision report of one township: progress against the active campaign's
targets, overdue items today, notices issued and answered in the month, accountability."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.reference.models import Township
from portal.supervision.models import AccountabilityRecord, SupervisionNotice
from portal.supervision.sources import SOURCES, STATE_LABELS, collect
from portal.tenancy import Access, scoped

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class MonthlyReport:
    township: Township
    year: int
    month: int
    today: date
    campaign: object | None = None
    rate: float | None = None
    certified: int = 0
    estimate: int = 0
    targets: list = field(default_factory=list)
    overdue: dict[str, int] = field(default_factory=dict)
    notices: list[SupervisionNotice] = field(default_factory=list)
    records: list[AccountabilityRecord] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(1 for n in self.notices if n.answered_on is not None)

    @property
    def answered_late(self) -> int:
        return sum(1 for n in self.notices if n.answered_on and n.answered_on > n.due_on)

    @property
    def escalated(self) -> int:
        return sum(1 for n in self.notices if n.escalated_on is not None)


def monthly(access: Access, township: Township, year: int, month: int,
            today: date) -> MonthlyReport:
    from portal.dashboards.services import township_dashboard
    from portal.reference.services import active_campaign

    first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    campaign = active_campaign()
    dash = township_dashboard(access, township, campaign, today,
                              current_app.config.get("DASHBOARD_MAX_AGE_SECONDS", 300))
    report = MonthlyReport(township, year, month, today, campaign, dash.total.rate,
                           dash.total.get("certified"), dash.total.estimate, dash.targets)
    report.overdue = {key: len(collect(key, access, township, today)) for key in SOURCES}
    report.notices = list(db.session.scalars(scoped(select(SupervisionNotice), access).where(
        SupervisionNotice.township_id == township.id, SupervisionNotice.issued_on >= first,
        SupervisionNotice.issued_on <= last).order_by(SupervisionNotice.issued_on)))
    from portal.auth.roles import Permission

    if access.can(Permission.SUPERVISE):
        report.records = list(db.session.scalars(scoped(
            select(AccountabilityRecord), access).where(
            AccountabilityRecord.township_id == township.id,
            AccountabilityRecord.decided_on >= first, AccountabilityRecord.decided_on <= last)))
    return report


def as_xlsx(report: MonthlyReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from portal.imports.writer import safe_row

    wb = Workbook()
    ws = wb.active
    ws.title = _("Progress")
    ws.append(safe_row([_("Supervision report"), report.township.name,
                        f"{report.year}-{report.month:02d}"]))
    ws["A1"].font = Font(bold=True)
    ws.append(safe_row([_("Certified persons"), report.certified]))
    ws.append(safe_row([_("Estimated disabled persons"), report.estimate]))
    ws.append(safe_row([_("Holding rate"), round(report.rate, 4) if report.rate else None]))
    for target in report.targets:
        ws.append(safe_row([_("Target %(rate)s%% by %(date)s", rate=round(target.rate * 100),
                              date=target.deadline.isoformat()),
                            _("reached") if target.reached else
                            _("%(n)s more needed", n=target.missing)]))
    ws = wb.create_sheet(_("Overdue"))
    ws.append(safe_row([_("Overdue list"), _("Items today")]))
    for key, count in report.overdue.items():
        ws.append(safe_row([str(SOURCES[key].label), count]))
    ws = wb.create_sheet(_("Notices"))
    ws.append(safe_row([_("Number"), _("Issued"), _("Due"), _("State"), _("Answered"),
                        _("Escalated")]))
    for n in report.notices:
        ws.append(safe_row([n.number, n.issued_on, n.due_on, str(STATE_LABELS[n.state]),
                            n.answered_on,
                            n.escalated_on]))
    ws = wb.create_sheet(_("Accountability"))
    ws.append(safe_row([_("Decided on"), _("Unit"), _("Finding"), _("Measure taken"),
                        _("Document number")]))
    for r in report.records:
        ws.append(safe_row([r.decided_on, r.unit_name, r.finding, r.measure,
                            r.document_number]))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def pdf_document(report: MonthlyReport):
    """The report laid out on A4 pages (a WeasyPrint document: `.pages`, `.write_pdf()`)."""
    from weasyprint import HTML

    html = render_template("supervision/report.html", report=report, SOURCES=SOURCES)
    return HTML(string=html).render()


def as_pdf(report: MonthlyReport) -> bytes:
    return pdf_document(report).write_pdf()
