"""Pages of the expiring certificates: the list with its horizon and one-click renewal, the
printable call list of the holders due their notice, the expired holders not renewed and
their Attachment 1 workbook. The township office's pages (MANAGE_CASES)."""
from __future__ import annotations

from io import BytesIO

from flask import (
    abort,
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
from sqlalchemy import select

from portal.audit.services import record_event
from portal.auth.roles import Permission
from portal.cases.labels import CASE_LABELS
from portal.clock import local_today
from portal.expiring import bp
from portal.expiring.export import attachment1_title, export_attachment1
from portal.expiring.forms import ExpiredFilterForm, ExpiringFilterForm, RenewalForm
from portal.expiring.services import (
    NOTICE_DAYS,
    add_expired_to_roster,
    expired_stmt,
    expiring_stmt,
    notice_stmt,
    start_renewal,
)
from portal.extensions import db
from portal.labels import LABELS
from portal.pages import link_args, paginate
from portal.reference.models import Village
from portal.rosters.models import Person
from portal.tenancy import current_access, get_scoped_or_404, require, scoped

PER_PAGE = 50


def _villages() -> dict[int, str]:
    return dict(db.session.execute(scoped(select(Village.id, Village.name))).all())


def suggested_path(person: Person) -> str:
    """A bedridden holder is visited at home; the others come to the concentrated day."""
    return "home_visit" if person.mobility == "bedridden" else "concentrated"


@bp.route("/")
@login_required
@require(Permission.MANAGE_CASES)
def list_expiring():
    """Holders whose certificate expires within the horizon (default 180 days)."""
    form = ExpiringFilterForm(request.args)
    form.validate()
    today = local_today()
    days = form.horizon()
    page = paginate(expiring_stmt(current_access(), today, days,
                                  latest_first=form.order.data == "latest"), PER_PAGE,
                    rows=True)
    return render_template(
        "expiring/list.html", form=form, page=page, args=link_args(), today=today, days=days,
        notice_days=NOTICE_DAYS, villages=_villages(), categories=LABELS["category"],
        case_labels=CASE_LABELS, renewal_form=RenewalForm(), suggested_path=suggested_path,
    ), (400 if form.errors else 200)


@bp.route("/call-list")
@login_required
@require(Permission.MANAGE_CASES)
def call_list():
    """Printable: the holders due their notice, with phones and a column to note the call
    (until the notification outbox sends the notices)."""
    access = current_access()
    today = local_today()
    rows = db.session.execute(notice_stmt(access, today)).all()
    reveal = access.can(Permission.REVEAL_PERSONAL_DATA)
    # The phones leave the screen on paper: the audit names how many, never whose.
    record_event("expiring.call_list", actor=current_user, township_id=g.township.id,
                 object_type="persons",
                 details={"rows": len(rows), "phones_in_clear": reveal})
    return render_template("expiring/call_list.html", rows=rows, today=today,
                           notice_days=NOTICE_DAYS, reveal=reveal, villages=_villages(),
                           categories=LABELS["category"])


@bp.route("/<int:person_id>/renew", methods=["POST"])
@login_required
@require(Permission.VIEW_PERSONS)
def renew(person_id: int):
    """One click: open the holder's renewal case."""
    person = get_scoped_or_404(Person, person_id)
    if not current_access().can(Permission.MANAGE_CASES):
        abort(403)
    form = RenewalForm()
    if not form.validate_on_submit():
        flash(_("Choose the assessment path of the renewal."), "danger")
        return redirect(url_for("expiring.list_expiring"), 303)
    case = start_renewal(person, g.township, current_user, path=form.path.data)
    flash(_("Renewal case #%(id)s was opened for %(name)s.", id=case.id, name=person.name),
          "success")
    return redirect(url_for("cases.show_case", case_id=case.id), 303)


@bp.route("/expired")
@login_required
@require(Permission.MANAGE_CASES)
def list_expired():
    """Holders whose certificate had expired by a day (default today) and who hold no valid
    one: the next campaign's Attachment 1."""
    form = ExpiredFilterForm(request.args)
    form.validate()
    as_of = form.day()
    page = paginate(expired_stmt(current_access(), as_of,
                                 latest_first=form.order.data == "latest"), PER_PAGE,
                    rows=True)
    return render_template(
        "expiring/expired.html", form=form, page=page, args=link_args(), as_of=as_of,
        villages=_villages(), categories=LABELS["category"], case_labels=CASE_LABELS,
        today=local_today(), can_export=current_access().can(Permission.EXPORT_ROSTER),
    ), (400 if form.errors else 200)


@bp.route("/expired.xlsx")
@login_required
@require(Permission.MANAGE_CASES)
def export_expired():
    """The expired holders not renewed as an Attachment 1 workbook."""
    access = current_access()
    if not access.can(Permission.EXPORT_ROSTER):
        abort(403)
    form = ExpiredFilterForm(request.args)
    form.validate()
    as_of = form.day()
    buffer = BytesIO()
    export_attachment1(access, g.township, current_user, as_of, buffer,
                       reveal=access.can(Permission.REVEAL_PERSONAL_DATA))
    buffer.seek(0)
    return send_file(buffer, as_attachment=True,
                     download_name=f"{attachment1_title(g.township, as_of)}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument"
                              ".spreadsheetml.sheet")


@bp.route("/expired/roster", methods=["POST"])
@login_required
@require(Permission.MANAGE_CASES)
def add_to_roster():
    """Put the expired holders not renewed on the township's Attachment 1 list."""
    form = ExpiredFilterForm(request.args)
    form.validate()
    as_of = form.day()
    changed = add_expired_to_roster(current_access(), g.township, current_user, as_of)
    flash(_("%(n)s person(s) put on the township's expired-certificate list (Attachment 1).",
            n=changed), "success")
    return redirect(url_for("expiring.list_expired", as_of=as_of.isoformat()), 303)
