"""Pages of the transfers: the township's sent and received requests, one request with its
answer, and the person's transfer page (to another township, or out of the county).

Every page is the township office's (MANAGE_CASES). A person's page loads the person first,
so that someone who may not see them learns nothing, not even a 403.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal.auth.roles import Permission
from portal.extensions import db
from portal.labels import LABELS
from portal.pages import link_args, paginate
from portal.reference.models import Township, Village
from portal.refusals import Refused, show_in_form
from portal.rosters.models import Person
from portal.tenancy import current_access, get_scoped_or_404, require, scoped
from portal.transfers import bp
from portal.transfers.forms import (
    STATE_TONES,
    TRANSFER_LABELS,
    AcceptForm,
    DeclineForm,
    LeftCountyForm,
    TransferFilterForm,
    TransferRequestForm,
    WithdrawForm,
)
from portal.transfers.models import Transfer
from portal.transfers.services import (
    accept_transfer,
    decline_transfer,
    open_case_id,
    pending_transfer_of,
    record_left_county,
    request_transfer,
    withdraw_transfer,
)

PER_PAGE = 50


def _render(template: str, status: int = 200, **context):
    return render_template(template, LABELS_T=TRANSFER_LABELS, STATE_TONES=STATE_TONES,
                           **context), status


def _townships() -> list[Township]:
    return db.session.scalars(select(Township).order_by(Township.position, Township.id)).all()


@bp.route("/")
@login_required
@require(Permission.MANAGE_CASES)
def list_transfers():
    """The requests this township sent and received, newest first."""
    form = TransferFilterForm(request.args)
    stmt = scoped(select(Transfer))
    here = g.township.id
    if form.direction.data == "outgoing":
        stmt = stmt.where(Transfer.township_id == here)
    elif form.direction.data == "incoming":
        stmt = stmt.where(Transfer.to_township_id == here)
    if form.state.data:
        stmt = stmt.where(Transfer.state == form.state.data)
    page = paginate(stmt.order_by(Transfer.id.desc()), PER_PAGE)
    waiting = db.session.scalar(scoped(select(func.count(Transfer.id))).where(
        Transfer.to_township_id == here, Transfer.state == "requested"))
    return _render("transfers/list.html", form=form, page=page, args=link_args(),
                   waiting=waiting, townships={t.id: t for t in _townships()})


def _person_page(person: Person, request_form=None, leave_form=None, status: int = 200):
    pending = pending_transfer_of(person.id)
    request_form = request_form or TransferRequestForm(
        townships=_townships(), own=g.township, prefix="move")
    leave_form = leave_form or LeftCountyForm(prefix="leave")
    return _render("transfers/new.html", status, person=person, pending=pending,
                   open_case=open_case_id(person.id), request_form=request_form,
                   leave_form=leave_form, categories=LABELS["category"])


def _manageable_person(person_id: int) -> Person:
    person = get_scoped_or_404(Person, person_id)
    if not current_access().can(Permission.MANAGE_CASES):
        abort(403)
    return person


@bp.route("/new/<int:person_id>", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_PERSONS)
def new_transfer(person_id: int):
    """The person moves to another township of the county: ask that township to take them."""
    person = _manageable_person(person_id)
    if request.method == "GET":
        return _person_page(person)
    form = TransferRequestForm(townships=_townships(), own=g.township, prefix="move")
    if not form.validate_on_submit():
        return _person_page(person, request_form=form, status=400)
    try:
        transfer = request_transfer(
            person, g.township, current_user,
            to_township=db.session.get(Township, form.to_township.data),
            new_address=form.new_address.data or "", reason=form.reason.data or "")
    except Refused as refusal:
        show_in_form(form, refusal)
        return _person_page(person, request_form=form, status=409)
    flash(_("The request was sent to %(township)s. The person stays here until it accepts.",
            township=transfer.to_township.name), "success")
    return redirect(url_for("transfers.show_transfer", transfer_id=transfer.id))


@bp.route("/leave/<int:person_id>", methods=["POST"])
@login_required
@require(Permission.VIEW_PERSONS)
def leave_county(person_id: int):
    """The person moved out of the county: close them here, with the destination."""
    person = _manageable_person(person_id)
    form = LeftCountyForm(prefix="leave")
    if not form.validate_on_submit():
        return _person_page(person, leave_form=form, status=400)
    try:
        transfer = record_left_county(person, g.township, current_user,
                                      destination=form.destination.data,
                                      reason=form.reason.data or "")
    except Refused as refusal:
        show_in_form(form, refusal)
        return _person_page(person, leave_form=form, status=409)
    flash(_("The move out of the county is recorded; the person is closed here."), "success")
    return redirect(url_for("transfers.show_transfer", transfer_id=transfer.id))


def _transfer_page(transfer: Transfer, status: int = 200, **forms):
    here = g.township.id
    receiving = transfer.to_township_id == here
    villages = db.session.scalars(scoped(select(Village)).order_by(Village.name)).all()
    person = None
    if (transfer.state == "accepted" and receiving) or transfer.township_id == here:
        # The person's page is linked only for the township the person belongs to now.
        person = db.session.scalars(scoped(select(Person)).where(
            Person.id == transfer.person_id)).first()
    return _render(
        "transfers/show.html", status, transfer=transfer, receiving=receiving,
        sending=transfer.township_id == here, person=person, categories=LABELS["category"],
        accept_form=forms.get("accept") or AcceptForm(villages=villages),
        decline_form=forms.get("decline") or DeclineForm(),
        withdraw_form=forms.get("withdraw") or WithdrawForm())


@bp.route("/<int:transfer_id>")
@login_required
@require(Permission.MANAGE_CASES)
def show_transfer(transfer_id: int):
    """One transfer: what the request says, and its answer."""
    return _transfer_page(get_scoped_or_404(Transfer, transfer_id))


@bp.route("/<int:transfer_id>/accept", methods=["POST"])
@login_required
@require(Permission.MANAGE_CASES)
def accept(transfer_id: int):
    """The receiving township takes the person, their certificate and their history."""
    transfer = get_scoped_or_404(Transfer, transfer_id)
    villages = db.session.scalars(scoped(select(Village)).order_by(Village.name)).all()
    form = AcceptForm(villages=villages)
    if not form.validate_on_submit():
        return _transfer_page(transfer, 400, accept=form)
    try:
        accept_transfer(transfer, g.township, current_user, village_id=form.village.data,
                        note=form.note.data or "")
    except Refused as refusal:
        show_in_form(form, refusal)
        return _transfer_page(transfer, refusal.status, accept=form)
    flash(_("Accepted: the person, their certificate and their history belong to this "
            "township from today."), "success")
    return redirect(url_for("transfers.show_transfer", transfer_id=transfer_id))


@bp.route("/<int:transfer_id>/decline", methods=["POST"])
@login_required
@require(Permission.MANAGE_CASES)
def decline(transfer_id: int):
    """The receiving township declines, with the reason."""
    transfer = get_scoped_or_404(Transfer, transfer_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _transfer_page(transfer, 400, decline=form)
    try:
        decline_transfer(transfer, g.township, current_user, reason=form.reason.data)
    except Refused as refusal:
        show_in_form(form, refusal)
        return _transfer_page(transfer, refusal.status, decline=form)
    flash(_("Declined: the sending township reads the reason."), "success")
    return redirect(url_for("transfers.show_transfer", transfer_id=transfer_id))


@bp.route("/<int:transfer_id>/withdraw", methods=["POST"])
@login_required
@require(Permission.MANAGE_CASES)
def withdraw(transfer_id: int):
    """The sending township takes its request back."""
    transfer = get_scoped_or_404(Transfer, transfer_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _transfer_page(transfer, 400, withdraw=form)
    try:
        withdraw_transfer(transfer, g.township, current_user, note=form.note.data or "")
    except Refused as refusal:
        show_in_form(form, refusal)
        return _transfer_page(transfer, refusal.status, withdraw=form)
    flash(_("The request was withdrawn."), "success")
    return redirect(url_for("transfers.show_transfer", transfer_id=transfer_id))


def transfer_context(person: Person) -> dict:
    """What a person's page shows of their transfers (the township office only)."""
    access = current_access()
    if not access.can(Permission.MANAGE_CASES):
        return {}
    history = db.session.scalars(scoped(select(Transfer)).where(
        Transfer.person_id == person.id).order_by(Transfer.id.desc()).limit(10)).all()
    return {"transfer_part": {"history": history, "labels": TRANSFER_LABELS,
                              "tones": STATE_TONES,
                              "can_move": not person.deceased
                              and person.left_county_on is None}}
