"""The city's campaign pages: list, plan editor, copy to next year, activate or close, the
concentrated days of every township, and the designated hospitals. City roles read them; the
city administrator changes them. Each change is one service call in the request's one unit of
work."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.roles import Permission, Role
from portal.campaigns import bp
from portal.campaigns.calendar import date_notices
from portal.campaigns.forms import (
    CampaignDayForm,
    CampaignForm,
    CopyForm,
    HospitalForm,
    fill,
)
from portal.campaigns.services import (
    Problem,
    activate,
    campaign_days,
    campaigns,
    check_day,
    close,
    copy_campaign,
    percent,
    plan_of,
    planned_dates,
    save_campaign,
    shift_for,
    split,
)
from portal.campaigns.snapshots import closing_snapshot
from portal.clock import local_today
from portal.extensions import db
from portal.reference.models import Campaign, ConcentratedDay, Hospital, Township
from portal.refusals import Refused, message, show_in_form
from portal.rosters.models import CATEGORIES
from portal.scheduling.forms import DAY_STATUS_LABELS
from portal.scheduling.services import DayData, create_day, update_day
from portal.tenancy import current_access, get_scoped_or_404, require
from portal.uow import discard


def _status_labels() -> dict:
    return {"draft": _("Draft"), "active": _("Active campaign"), "closed": _("Ended")}


def _can_edit() -> bool:
    return Role.CITY_ADMIN in current_access().roles


def _editor() -> None:
    if not _can_edit():
        abort(403)


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _hospitals() -> list[Hospital]:
    return list(db.session.scalars(select(Hospital).order_by(Hospital.name)))


def _townships() -> list[Township]:
    return list(db.session.scalars(select(Township).order_by(Township.position, Township.id)))


@bp.route("/")
@login_required
@require(Permission.VIEW_CITY)
def index():
    """Every campaign with its status, and the designated hospitals."""
    return render_template("campaigns/index.html", campaigns=campaigns(),
                           hospitals=_hospitals(), hospital_form=HospitalForm(),
                           can_edit=_can_edit(), status_labels=_status_labels())


@bp.route("/hospitals", methods=["POST"])
@login_required
@require(Permission.VIEW_CITY)
def add_hospital():
    """Add a designated assessment hospital."""
    _editor()
    form = HospitalForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        if db.session.scalars(select(Hospital).where(Hospital.name == name)).first():
            form.name.errors.append(_("This hospital is already on the list."))
        else:
            from portal.audit.services import record_event

            hospital = Hospital(name=name)
            db.session.add(hospital)
            db.session.flush()
            record_event("hospital.added", actor=current_user, obj=hospital,
                         details={"name": name})
            flash(_("%(name)s was added to the hospitals.", name=name), "success")
            return redirect(url_for("campaigns.index"))
    return render_template("campaigns/index.html", campaigns=campaigns(),
                           hospitals=_hospitals(), hospital_form=form, can_edit=True,
                           status_labels=_status_labels()), 400


def _plan_form(form: CampaignForm, campaign: Campaign | None):
    if form.validate_on_submit():
        try:
            saved = save_campaign(campaign, form.data_for_service(), current_user,
                                  local_today())
        except Refused as refusal:
            discard()
            form.place_errors(refusal.params["problems"])
        else:
            flash(_("The campaign was saved."), "success")
            return redirect(url_for("campaigns.show", campaign_id=saved.id))
    form.add_blank_rows()
    return render_template("campaigns/form.html", form=form, campaign=campaign)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CITY)
def new():
    """Plan a new campaign (a draft until it is activated)."""
    _editor()
    form = CampaignForm()
    if request.method == "GET":
        while form.phases.entries:
            form.phases.pop_entry()
            form.targets.pop_entry()
        form.add_blank_rows()
        form.add_blank_rows()
        return render_template("campaigns/form.html", form=form, campaign=None)
    return _plan_form(form, None)


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CITY)
def edit(campaign_id: int):
    """Change a campaign's plan: period, phases, targets, baseline figures."""
    _editor()
    campaign = _campaign_or_404(campaign_id)
    if campaign.status == "closed":
        flash(_("A closed campaign is kept as it was: copy it to plan a new one."), "warning")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    form = CampaignForm()
    if request.method == "GET":
        fill(form, plan_of(campaign))
        form.add_blank_rows()
        return render_template("campaigns/form.html", form=form, campaign=campaign)
    return _plan_form(form, campaign)


@bp.route("/<int:campaign_id>")
@login_required
@require(Permission.VIEW_CITY)
def show(campaign_id: int):
    """A campaign: its plan, its days per township, the dates that fall on a weekend or a
    public holiday, and (closed) its closing figures."""
    campaign = _campaign_or_404(campaign_id)
    days = campaign_days(campaign)
    notices, unknown_years = date_notices(planned_dates(campaign, days))
    warnings = {d.id: split(check_day(campaign, d.day, d.day))[1] for d in days}
    return render_template(
        "campaigns/show.html", campaign=campaign, days=days, notices=notices,
        unknown_years=unknown_years, day_warnings=warnings, snapshot=closing_snapshot(campaign),
        can_edit=_can_edit(), status_labels=_status_labels(), categories=CATEGORIES,
        day_status_labels=DAY_STATUS_LABELS, percent=percent,
        source=db.session.get(Campaign, campaign.copied_from_id)
        if campaign.copied_from_id else None)


@bp.route("/<int:campaign_id>/activate", methods=["POST"])
@login_required
@require(Permission.VIEW_CITY)
def activate_campaign(campaign_id: int):
    """Make the campaign the active one; the previous active one is closed with a snapshot."""
    _editor()
    campaign = _campaign_or_404(campaign_id)
    try:
        previous = activate(campaign, current_user, local_today())
    except Refused as refusal:
        discard()
        flash(refusal.message, "danger")
    else:
        if previous is not None:
            flash(_("%(name)s is now the active campaign; %(previous)s was closed and its "
                    "figures kept.", name=campaign.name, previous=previous.name), "success")
        else:
            flash(_("%(name)s is now the active campaign.", name=campaign.name), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@bp.route("/<int:campaign_id>/close", methods=["POST"])
@login_required
@require(Permission.VIEW_CITY)
def close_campaign(campaign_id: int):
    """Close the active campaign, keeping its figures; no campaign is active afterwards."""
    _editor()
    campaign = _campaign_or_404(campaign_id)
    try:
        close(campaign, current_user, local_today())
    except Refused as refusal:
        discard()
        flash(refusal.message, "danger")
    else:
        flash(_("The campaign was closed and its figures kept."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@bp.route("/<int:campaign_id>/copy", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CITY)
def copy(campaign_id: int):
    """Copy the campaign to a draft of the next one, every date moved."""
    _editor()
    source = _campaign_or_404(campaign_id)
    form = CopyForm()
    if form.validate_on_submit():
        try:
            shift = shift_for(source, form.shift_days.data, form.new_start.data)
            draft, skipped = copy_campaign(source, current_user, shift)
        except Refused as refusal:
            show_in_form(form, refusal, "new_start")
        else:
            flash(_("A draft of the next campaign was made, every date moved by %(n)s days. "
                    "Check the dates pointed out below, then adjust the draft.", n=shift),
                  "success")
            if skipped:
                flash(_("%(n)s concentrated days were not copied: their township already has "
                        "a day on the new date.", n=len(skipped)), "warning")
            return redirect(url_for("campaigns.show", campaign_id=draft.id))
    return render_template("campaigns/copy.html", form=form, campaign=source)


# --- concentrated days of a campaign ---------------------------------------------------------

def _day_data(form: CampaignDayForm) -> DayData:
    return DayData(day=form.day.data, hospital_ids=form.hospitals.data,
                   capacities=form.capacities(), status=form.status.data,
                   note=(form.note.data or "").strip())


def _check_day(form: CampaignDayForm, campaign: Campaign) -> list[Problem] | None:
    """The warnings of the day, or None when it is refused (errors put on the form)."""
    refusals, warnings = split(check_day(campaign, form.day.data, local_today()))
    if refusals:
        form.day.errors = list(form.day.errors) + [p.message for p in refusals]
        return None
    return warnings


# The campaign's day form words a refusal of the schedule in its own terms, next to the date.
DAY_WORDS = {"schedule_date_taken": "campaign_day_date_taken",
             "schedule_capacity_below_assigned": "campaign_day_places_taken"}


def _day_refused(form: CampaignDayForm, refusal: Refused) -> None:
    discard()
    words = message(DAY_WORDS.get(refusal.code, "campaign_day_not_movable"),
                    date=form.day.data.isoformat(), n=refusal.params.get("assigned"),
                    code=refusal.code)
    form.day.errors = list(form.day.errors) + [words]


@bp.route("/<int:campaign_id>/days/new", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CITY)
def new_day(campaign_id: int):
    """Add a township's concentrated day to the campaign."""
    _editor()
    campaign = _campaign_or_404(campaign_id)
    form = CampaignDayForm(_hospitals(), _townships())
    if request.method == "GET" and request.args.get("township", type=int):
        form.township.data = request.args.get("township", type=int)
    if form.validate_on_submit():
        township = db.session.get(Township, form.township.data)
        warnings = _check_day(form, campaign) if township else None
        if township is None:
            form.township.errors = list(form.township.errors) + [_("Choose the township.")]
        elif warnings is not None:
            try:
                create_day(township, current_user, _day_data(form), campaign_id=campaign.id)
            except Refused as refusal:
                _day_refused(form, refusal)
            else:
                flash(_("The concentrated day was added."), "success")
                for warning in warnings:
                    flash(warning.message, "warning")
                return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return render_template("campaigns/day_form.html", form=form, campaign=campaign, day=None)


@bp.route("/<int:campaign_id>/days/<int:day_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CITY)
def edit_day(campaign_id: int, day_id: int):
    """Change a concentrated day of the campaign (its township stays)."""
    _editor()
    campaign = _campaign_or_404(campaign_id)
    day = get_scoped_or_404(ConcentratedDay, day_id)
    if day.campaign_id != campaign.id:
        abort(404)
    form = CampaignDayForm(_hospitals(), [day.township], obj=day)
    if request.method == "GET":
        form.hospitals.data = [h.id for h in day.hospitals]
        form.township.data = day.township_id
    if form.validate_on_submit():
        warnings = _check_day(form, campaign)
        if warnings is not None:
            try:
                update_day(day.township, current_user, current_access(), day, _day_data(form))
            except Refused as refusal:
                _day_refused(form, refusal)
            else:
                flash(_("The concentrated day was saved."), "success")
                for warning in warnings:
                    flash(warning.message, "warning")
                return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return render_template("campaigns/day_form.html", form=form, campaign=campaign, day=day)
