"""Campaign dashboards: the city's (all townships) and a township's (its villages), each with
an Excel export, a printable report and drill-down lists; the city sets township estimates.
Figures recomputed for a page or an export are kept by the request's commit (portal/uow.py)."""
from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select

from portal.auth.roles import Permission, Role
from portal.cases.labels import CASE_LABELS
from portal.certificates.services import deadline_days
from portal.clock import local_today
from portal.dashboards import bp, fragments, township_bp
from portal.dashboards.export import dashboard_workbook, overdue_label
from portal.dashboards.figures import (
    CERTIFICATE_OVERDUE,
    DRILL_DOWNS,
    OVERDUE_KINDS,
    UNTRACKED_OVERDUE,
    due_of,
    refresh_figures,
)
from portal.dashboards.forms import EstimateForm
from portal.dashboards.refresh_jobs import refreshed_by_jobs
from portal.dashboards.services import (
    city_dashboard,
    drill_down,
    estimate_history,
    set_estimate,
    township_dashboard,
)
from portal.extensions import db
from portal.pages import page_number
from portal.reference.models import Campaign, ConcentratedDay, Township
from portal.tenancy import current_access, require, scoped

DRILL_DOWN_PER_PAGE = 50


def _campaign():
    from portal.campaigns.services import active_campaign

    return active_campaign()


def _settings() -> dict:
    return {"max_age_seconds": int(current_app.config.get("DASHBOARD_MAX_AGE_SECONDS", 300))}


def _common() -> dict:
    settings = _settings()
    return {"CASE_LABELS": CASE_LABELS, "OVERDUE_KINDS": OVERDUE_KINDS,
            "UNTRACKED_OVERDUE": UNTRACKED_OVERDUE, "overdue_label": overdue_label,
            "deadline_days": {k: deadline_days(k) for k in CERTIFICATE_OVERDUE},
            "max_age_minutes": max(settings["max_age_seconds"] // 60, 1)}


def _can_edit() -> bool:
    return Role.CITY_ADMIN in current_access().roles


def _city():
    return city_dashboard(current_access(), _campaign(), local_today(), **_settings())


def _township():
    access = current_access()
    if not access.whole_township:
        abort(403)
    return township_dashboard(access, access.township, _campaign(), local_today(),
                              **_settings())


def _xlsx(dash, scope: str, filename: str):
    data = dashboard_workbook(dash, scope)
    return send_file(data, as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- city ----------------------------------------------------------------------------------

@bp.route("/")
@login_required
@require(Permission.VIEW_CITY)
def city():
    """The city dashboard: holding rate per township against the targets, and the work; with
    `?campaign=` a past campaign, read-only, from its closing snapshot."""
    from portal.campaigns.services import campaigns
    from portal.campaigns.snapshots import closing_snapshot, comparison

    rows = campaigns()
    active = next((c for c in rows if c.status == "active"), None)
    picker = [c for c in rows if c.status != "draft"]
    chosen = request.args.get("campaign", type=int)
    if chosen is not None and (active is None or chosen != active.id):
        campaign = db.session.get(Campaign, chosen)
        if campaign is None or campaign.status == "draft":
            abort(404)
        return render_template("dashboards/past.html", campaign=campaign,
                               snapshot=closing_snapshot(campaign), picker=picker,
                               chosen=campaign.id, compare=comparison(rows=rows))
    figures = _city_figures(active)
    return render_template("dashboards/city.html", campaign=active, figures=Markup(figures.html),
                           can_edit=_can_edit(), picker=picker,
                           chosen=active.id if active else None,
                           compare=comparison(figures, rows))


def _city_figures(campaign) -> fragments.Fragment:
    """The city dashboard's tables as rendered for the summary's current version (kept per
    version, locale and campaign: a later view only reads the summary's state)."""
    access, today, settings = current_access(), local_today(), _settings()
    ids, states = _city_states(access)
    version = fragments.version(ids, states)
    if due_of(states, ids, today, settings["max_age_seconds"]) and not refreshed_by_jobs(
            settings["max_age_seconds"]):
        version = None  # computed on this request: its new state is the next view's key
    common = _common()
    key = _city_key(access, campaign, today, version, common)
    if version is not None:
        found = fragments.cache().get(key) or fragments.stored(key)
        if found is not None:
            fragments.cache().put(key, found)
            return found
    found = _render_city_tables(access, campaign, today, states, settings, common)
    if version is not None:
        fragments.cache().put(key, found)
    return found


def _city_states(access) -> tuple[list[int], dict]:
    ids = list(db.session.scalars(select(Township.id).order_by(Township.position,
                                                               Township.id)))
    return ids, fragments.summary_states(access, ids)


def _city_key(access, campaign, today, version, common) -> tuple:
    return fragments.key("city", version, today, campaign.id if campaign else None,
                         common["max_age_minutes"], tuple(common["deadline_days"].items()),
                         access.can(Permission.MANAGE_CASES))


def _render_city_tables(access, campaign, today, states, settings, common):
    dash = city_dashboard(access, campaign, today, states=states, **settings)
    html = render_template("dashboards/_city_figures.html", dash=dash, scope="city",
                           list_endpoint="dashboards.city_list", **common)
    return fragments.Fragment(html=html, rate=dash.total.rate, today=today)


def prerender_city_tables() -> int:
    """For the refresh job, once it has computed the summary: the city tables of every locale,
    for a viewer who may open the expiring lists and one who may not, left where every web
    worker finds them (fragments.store). Returns how many were rendered."""
    from flask import g
    from flask_babel import force_locale

    from portal.reference.services import active_campaign
    from portal.tenancy import Access

    app = current_app._get_current_object()
    campaign, today, written = active_campaign(), local_today(), set()
    for role in (Role.SUPERVISOR, Role.CITY_ADMIN):
        access = Access(user_id=0, township=None, roles={role})
        for locale in app.config["LANGUAGES"]:
            with app.test_request_context("/city/dashboard/"), force_locale(locale):
                g.access = access
                ids, states = _city_states(access)
                version = fragments.version(ids, states)
                if version is None:
                    return 0
                settings, common = _settings(), _common()
                written.add(fragments.store(
                    _city_key(access, campaign, today, version, common),
                    _render_city_tables(access, campaign, today, states, settings, common)))
    fragments.prune(written)
    return len(written)


@bp.route("/print")
@login_required
@require(Permission.VIEW_CITY)
def city_print():
    """The city dashboard as a printable report (tables only)."""
    dash = _city()
    return render_template("dashboards/print.html", dash=dash, scope="city", **_common())


@bp.route("/export.xlsx")
@login_required
@require(Permission.VIEW_CITY)
def city_export():
    """The city dashboard's figures as an Excel workbook."""
    return _xlsx(_city(), "city", f"dashboard-{local_today().isoformat()}.xlsx")


@bp.route("/refresh", methods=["POST"])
@login_required
@require(Permission.VIEW_CITY)
def city_refresh():
    """Recompute every township's figures now (city administrators)."""
    if not _can_edit():
        abort(403)
    ids = list(db.session.scalars(select(Township.id)))
    refresh_figures(current_access(), ids, local_today())
    flash(_("The figures were recomputed."), "success")
    return redirect(url_for("dashboards.city"))


@bp.route("/estimates", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CITY)
def estimates():
    """Each township's estimate of disabled persons, its versions, and a form to set one."""
    townships = db.session.scalars(select(Township).order_by(Township.position)).all()
    form = EstimateForm(townships)
    if request.method == "POST":
        if not _can_edit():
            abort(403)
        if form.validate_on_submit():
            township = db.session.get(Township, form.township.data)
            if township is None:
                abort(404)
            set_estimate(township, current_user, form.estimated_disabled.data,
                         form.note.data or "")
            flash(_("The estimate of %(township)s is now %(n)s.", township=township.name,
                    n=form.estimated_disabled.data), "success")
            return redirect(url_for("dashboards.estimates"))
    dash = _city()
    names = {t.id: t.name for t in townships}
    return render_template("dashboards/estimates.html", form=form, dash=dash,
                           history=estimate_history(current_access()), names=names,
                           can_edit=_can_edit())


@bp.route("/list")
@login_required
@require(Permission.VIEW_CITY)
def city_list():
    """Drill-down: the persons behind a city figure, masked, one page at a time."""
    if not current_access().can(Permission.VIEW_PERSONS):
        abort(403)
    return _drill_down("dashboards.city_list", request.args.get("township", type=int))


# --- township ------------------------------------------------------------------------------

@township_bp.route("/")
@login_required
@require(Permission.VIEW_PERSONS)
def township():
    """The township dashboard: its villages, its work lists and its next concentrated day."""
    from portal.campaigns.services import in_active_campaign

    dash = _township()
    next_day = db.session.scalars(
        scoped(select(ConcentratedDay)).where(ConcentratedDay.day >= local_today(),
                                              ConcentratedDay.status == "planned",
                                              in_active_campaign(ConcentratedDay.campaign_id))
        .order_by(ConcentratedDay.day).limit(1)).first()
    return render_template("dashboards/township.html", dash=dash, scope="township",
                           next_day=next_day, **_common())


@township_bp.route("/print")
@login_required
@require(Permission.VIEW_PERSONS)
def township_print():
    """The township dashboard as a printable report."""
    dash = _township()
    return render_template("dashboards/print.html", dash=dash, scope="township", **_common())


@township_bp.route("/export.xlsx")
@login_required
@require(Permission.VIEW_PERSONS)
def township_export():
    """The township dashboard's figures as an Excel workbook."""
    dash = _township()
    return _xlsx(dash, "township",
                 f"dashboard-{current_access().township.code}-{local_today().isoformat()}.xlsx")


@township_bp.route("/list")
@login_required
@require(Permission.VIEW_PERSONS)
def township_list():
    """Drill-down: the township's persons behind a figure, masked, one page at a time."""
    if not current_access().whole_township:
        abort(403)
    return _drill_down("township_dashboard.township_list", None)


def list_titles() -> dict[str, str]:
    return {"poverty_uncertified": _("Poverty-registered persons without a valid certificate"),
            "renewal_pending": _("Expired certificates not yet renewed"),
            "poverty_renewal_pending": _(
                "Poverty-registered holders of expired certificates not yet renewed")}


def _drill_down_xlsx(township_id: int | None, filter_township: int | None, back: str):
    """Queue every person of a drill-down list as Excel (masked unless the user may reveal);
    the job's page offers the file."""
    from portal.dashboards.list_jobs import LIST_EXPORT
    from portal.jobs.views import enqueue_file_job, job_url

    kind = request.args.get("kind", DRILL_DOWNS[0])
    if kind not in DRILL_DOWNS:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    job = enqueue_file_job(
        LIST_EXPORT, {"kind": kind, "township": filter_township,
                      "reveal": current_access().can(Permission.REVEAL_PERSONAL_DATA)},
        actor=current_user, township_id=township_id, back=back)
    return redirect(job_url(job))


@bp.route("/list.xlsx", methods=["POST"])
@login_required
@require(Permission.VIEW_CITY)
def city_list_export():
    """Drill-down list of the city (or of one township) as Excel."""
    if not current_access().can(Permission.VIEW_PERSONS):
        abort(403)
    township = request.args.get("township", type=int)
    return _drill_down_xlsx(None, township, url_for("dashboards.city_list", **request.args))


@township_bp.route("/list.xlsx", methods=["POST"])
@login_required
@require(Permission.VIEW_PERSONS)
def township_list_export():
    """Drill-down list of the township as Excel."""
    if not current_access().whole_township:
        abort(403)
    return _drill_down_xlsx(g.township.id, None,
                            url_for("township_dashboard.township_list", **request.args))


def _drill_down(endpoint: str, township_id: int | None):
    kind = request.args.get("kind", DRILL_DOWNS[0])
    if kind not in DRILL_DOWNS:
        abort(404)
    page = drill_down(current_access(), kind, local_today(), township_id, page_number(),
                      DRILL_DOWN_PER_PAGE)
    names = dict(db.session.execute(select(Township.id, Township.name)).all())
    args = {"kind": kind}
    if township_id is not None:
        args["township"] = township_id
    return render_template("dashboards/list.html", kind=kind, title=list_titles()[kind],
                           form=FlaskForm(),
                           persons=page.items, page=page,
                           endpoint=endpoint, args=args, names=names,
                           township_id=township_id)
