"""The dashboard's figures as an Excel workbook (the same figures the page shows)."""
from __future__ import annotations

from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.cases.labels import CASE_LABELS
from portal.dashboards.figures import OVERDUE_KINDS, UNTRACKED_OVERDUE
from portal.dashboards.services import Dashboard
from portal.imports.writer import safe_row


def overdue_label(kind: str) -> str:
    """Name of one kind of overdue work."""
    return {
        "publicity": _("Public notice over"),
        "review": _("City review late"),
        "print": _("Approved, not printed"),
        "dispatch": _("Printed, not sent"),
        "receipt": _("Sent, not acknowledged"),
        "handover": _("Received, not handed over"),
        "petitions": _("Petitions"),
    }[kind]


def _rate(value: float | None):
    return round(value, 4) if value is not None else None


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], percent_cols=()):
    ws = wb.create_sheet(title)
    ws.append(safe_row(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(safe_row(row))
    for col in percent_cols:
        for cells in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            for cell in cells:
                cell.number_format = "0.0%"
    ws.freeze_panes = "A2"
    return ws


def dashboard_workbook(dash: Dashboard, scope: str) -> BytesIO:
    """Sheets: holding rate per township (or village), targets, cases, overdue work."""
    wb = Workbook()
    wb.remove(wb.active)
    unit = _("Township") if scope == "city" else _("Village")
    header = [unit, _("Estimated disabled persons"), _("Estimate"), _("Certified persons"),
              _("Holding rate"), _("Rank"), _("On the expired roster"), _("Renewed"),
              _("Not yet renewed"), _("Poverty-registered"),
              _("Poverty-registered without a valid certificate"),
              _("Poverty-registered holders of expired certificates"), _("Renewed"), _("Left")]
    rows = []
    for line in dash.lines + [dash.total]:
        is_total = line is dash.total
        source = _("set by the city") if line.estimate_set else _("default share")
        rows.append([line.name if not is_total else _("Total"), line.estimate,
                     source if scope == "city" and not is_total else "",
                     line.get("certified"), _rate(line.rate), line.rank if not is_total else "",
                     line.get("expired_roster"), line.get("renewed"), line.renewal_pending,
                     line.get("poverty"), line.get("poverty_uncertified"),
                     line.get("poverty_renewal"), line.get("poverty_renewed"),
                     line.poverty_renewal_left])
    _sheet(wb, _("Holding rate"), header, rows, percent_cols=(5,))
    _sheet(wb, _("Targets"), [_("Target holding rate"), _("Deadline"),
                              _("Certified persons needed"), _("Still missing"),
                              _("Calendar days left"), _("Working days left")],
           [[t.rate, t.deadline, t.needed, max(t.missing, 0), t.calendar_days, t.working_days]
            for t in dash.targets]
           + [[_("Every poverty-registered holder of an expired certificate renewed"),
               t.deadline, dash.total.get("poverty_renewal"), dash.total.poverty_renewal_left,
               t.calendar_days, ""] for t in dash.renewal_targets], percent_cols=(1,))
    paths = dash.case_paths
    _sheet(wb, _("Cases"), [_("State")] + [str(CASE_LABELS["path"][p]) for p in paths]
           + [_("Total")],
           [[str(CASE_LABELS["state"].get(state, state))]
            + [by_path.get(p, 0) for p in paths] + [sum(by_path.values())]
            for state, by_path in sorted(dash.cases.items())])
    origin_lines = (dash.lines if scope == "city" else []) + [dash.total]
    _sheet(wb, _("Where the cases came from"),
           [_("Township"), _("Found by the survey"), _("Came on their own"),
            str(CASE_LABELS["origin"]["walk_in"]), str(CASE_LABELS["origin"]["hospital_booking"]),
            _("Total")],
           [[line.name if line is not dash.total or scope != "city" else _("Total"),
             line.found_by_survey, line.came_on_their_own, line.origins.get("walk_in", 0),
             line.origins.get("hospital_booking", 0),
             line.found_by_survey + line.came_on_their_own] for line in origin_lines])
    overdue_rows = []
    if scope == "city":
        for line in dash.lines + [dash.total]:
            overdue_rows.append([line.name if line is not dash.total else _("Total")]
                                + [line.overdue.get(k, 0) for k in OVERDUE_KINDS])
    else:
        overdue_rows.append([dash.total.name] + [dash.total.overdue.get(k, 0)
                                                 for k in OVERDUE_KINDS])
    header = [_("Township")] + [
        overdue_label(k) + (" (" + _("not yet tracked") + ")" if k in UNTRACKED_OVERDUE else "")
        for k in OVERDUE_KINDS]
    _sheet(wb, _("Overdue work"), header, overdue_rows)
    about = wb.create_sheet(_("About"))
    about.append([_("Figures as of"), dash.today])
    if dash.campaign is not None:
        about.append([_("Campaign baseline: estimated disabled persons"),
                      dash.campaign.estimated_disabled])
        about.append([_("Campaign baseline: certified at the start"),
                      dash.campaign.certified_at_start])
        about.append([_("Campaign baseline: certificates expiring"),
                      dash.campaign.expiring_certificates])
        about.append([_("Campaign baseline: poverty-registered disabled persons"),
                      dash.campaign.poverty_registered_disabled])
    about.append([_("Certified persons"), _(
        "Persons not recorded as deceased holding a valid certificate: their entry in the "
        "register of holders with an expiry date after today, or one printed by the portal, "
        "handed over, not cancelled and not expired.")])
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out
