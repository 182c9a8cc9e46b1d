"""Views of the certificates area: print and dispatch batches and the destruction list (city),
receipt and handover (township), and the public QR verification page."""
from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.audit.services import record_event
from portal.auth.roles import Permission
from portal.cases.labels import CASE_LABELS
from portal.cases.models import Case
from portal.certificates import bp, tasks, township_bp, verify_bp
from portal.certificates.forms import (
    HANDOVER_RELATION_LABELS,
    CancelBatchForm,
    ConfirmForm,
    DispatchForm,
    HandoverForm,
    PrintBatchForm,
    ReceiptForm,
    ReprintForm,
    TownshipFilterForm,
)
from portal.certificates.models import Certificate, DispatchBatch, Handover, PrintBatch
from portal.certificates.pdf import data_sheets_pdf
from portal.certificates.services import (
    OVERDUE_KINDS,
    acknowledge_receipt,
    approved_cases_stmt,
    awaiting_handover_stmt,
    cancel_print_batch,
    certificate_for_token,
    create_dispatch_batch,
    create_print_batch,
    deadline_days,
    destruction_stmt,
    dispatchable_stmt,
    live_certificates_of,
    mark_batch_printed,
    mark_destroyed,
    overdue_certificates,
    record_handover,
    record_reprint,
    scan_preview,
)
from portal.clock import local_today
from portal.evidence.services import get_store, store_upload
from portal.extensions import db, limiter
from portal.jobs.views import enqueue_file_job, job_url
from portal.reference.models import Township
from portal.refusals import Refused, show_in_form
from portal.rosters.services import reveal_personal_data
from portal.security import protect_file
from portal.tenancy import current_access, get_scoped_or_404, require, scoped
from portal.uow import discard


def _labels():
    from flask_babel import lazy_gettext as _l

    return {
        "overdue": {
            "not_printed": _l("Approved, not printed"),
            "not_dispatched": _l("Printed, not sent to the township"),
            "not_received": _l("Sent, receipt not acknowledged"),
            "not_handed_over": _l("Received, not handed over"),
        },
        "batch_state": {
            "open": _l("Open (not yet printed)"),
            "printed": _l("Printed"),
            "cancelled": _l("Cancelled"),
        },
        "status": {"valid": _l("Valid"), "expired": _l("Expired"),
                   "cancelled": _l("Cancelled"), "void": _l("Void (card replaced)"),
                   "unknown": _l("Unknown")},
        "relation": HANDOVER_RELATION_LABELS,
    }


def _render(template: str, **context):
    return render_template(template, CASE_LABELS=CASE_LABELS, CERT_LABELS=_labels(),
                           **context)


def _townships() -> dict[int, Township]:
    return {t.id: t for t in db.session.scalars(select(Township).order_by(Township.position))}


def _pdf_response(data: bytes, filename: str):
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return protect_file(response, "application/pdf")


def _overdue_rows(access, today):
    """Overdue rows with their case and certificate loaded (scoped again)."""
    rows = overdue_certificates(access, today)
    cases = {c.id: c for c in db.session.scalars(
        scoped(select(Case), access).where(Case.id.in_([r.case_id for r in rows] or [-1]))
        .options(selectinload(Case.person)))}
    return [(r, cases.get(r.case_id)) for r in rows]


# --- city: print batches -----------------------------------------------------------------

@bp.route("/")
@login_required
@require(Permission.VIEW_BATCHES)
def index():
    """Certificates overview: ready cases per township, batches, flagged receipts."""
    access = current_access()
    ready = dict(db.session.execute(
        approved_cases_stmt(access).where(~Case.id.in_(
            select(Certificate.live_case_id).where(Certificate.live_case_id.is_not(None))))
        .with_only_columns(Case.township_id, func.count()).group_by(Case.township_id)
        .order_by(None)).all())
    to_send = dict(db.session.execute(
        dispatchable_stmt(access).with_only_columns(Certificate.township_id, func.count())
        .group_by(Certificate.township_id).order_by(None)).all())
    batches = db.session.scalars(
        scoped(select(PrintBatch), access).order_by(PrintBatch.id.desc()).limit(50)).all()
    dispatches = db.session.scalars(
        scoped(select(DispatchBatch), access).order_by(DispatchBatch.id.desc()).limit(50)).all()
    return _render("certificates/index.html", ready=ready, to_send=to_send, batches=batches,
                   dispatches=dispatches, townships=_townships())


@bp.route("/batches/new", methods=["GET", "POST"])
@login_required
@require(Permission.APPROVE_CASES)
def new_batch():
    """Choose approved cases (of one township or all) for a new print batch."""
    access = current_access()
    townships = _townships()
    township_id = request.args.get("township", type=int) or 0
    filters = TownshipFilterForm(request.args, townships=townships.values())
    cases = db.session.scalars(
        approved_cases_stmt(access, township_id or None).options(selectinload(Case.person))
        .limit(2000)).all()
    live = live_certificates_of([c.id for c in cases])
    form = PrintBatchForm(case_ids=[c.id for c in cases])
    if request.method == "GET":
        form.cases.data = [c.id for c in cases if c.id not in live]
        form.issue_date.data = local_today()
        form.township.data = township_id
    if form.validate_on_submit():
        chosen = [c for c in cases if c.id in set(form.cases.data)]
        try:
            batch = create_print_batch(current_user, access, chosen,
                                       issue_date=form.issue_date.data,
                                       township_id=form.township.data or None,
                                       note=form.note.data or "")
        except Refused as refusal:
            show_in_form(form, refusal, "cases")
        else:
            flash(_("Print batch #%(n)s created with %(count)s certificates.", n=batch.id,
                    count=len(chosen)), "success")
            return redirect(url_for("certificates.show_batch", batch_id=batch.id))
    return _render("certificates/new_batch.html", form=form, filters=filters, cases=cases,
                   live=live, townships=townships, township_id=township_id)


def _load_batch(batch_id) -> PrintBatch:
    return get_scoped_or_404(PrintBatch, batch_id)


@bp.route("/batches/<batch_id>")
@login_required
@require(Permission.VIEW_BATCHES)
def show_batch(batch_id):
    """One print batch: its certificates, and the steps open to it."""
    batch = _load_batch(batch_id)
    return _render("certificates/batch.html", batch=batch, townships=_townships(),
                   confirm=ConfirmForm(), cancel_form=CancelBatchForm(),
                   can_print=current_access().can(Permission.APPROVE_CASES))


@bp.route("/batches/<batch_id>/list")
@login_required
@require(Permission.VIEW_BATCHES)
def print_batch_list(batch_id):
    """The printable A4 list of a print batch."""
    batch = _load_batch(batch_id)
    return _render("certificates/batch_list.html", batch=batch, townships=_townships())


@bp.route("/batches/<batch_id>/printed", methods=["POST"])
@login_required
@require(Permission.APPROVE_CASES)
def mark_printed(batch_id):
    """Record that the cards of an open batch were printed."""
    batch = _load_batch(batch_id)
    if ConfirmForm().validate_on_submit():
        try:
            mark_batch_printed(batch, current_user, current_access(), today=local_today())
        except Refused as refusal:
            discard()  # no card of the batch is printed when one of them is refused
            flash(refusal.message, "danger")
        else:
            flash(_("The batch is recorded as printed."), "success")
    return redirect(url_for("certificates.show_batch", batch_id=batch.id))


@bp.route("/batches/<batch_id>/cancel", methods=["POST"])
@login_required
@require(Permission.APPROVE_CASES)
def cancel_batch(batch_id):
    """Cancel an open batch: its cases can go into a new batch."""
    batch = _load_batch(batch_id)
    form = CancelBatchForm()
    if form.validate_on_submit():
        try:
            cancel_print_batch(batch, current_user, note=form.note.data)
        except Refused as refusal:
            discard()
            flash(refusal.message, "danger")
        else:
            flash(_("The batch is cancelled."), "success")
        return redirect(url_for("certificates.show_batch", batch_id=batch.id))
    return _render("certificates/batch.html", batch=batch, townships=_townships(),
                   confirm=ConfirmForm(), cancel_form=form, can_print=True)


def _record_full_ids(certificates) -> None:
    # A data sheet prints the certificate number, which holds the whole ID number: each is
    # a reveal of that person's ID, audited on the person like the person page's reveal.
    for certificate in certificates:
        reveal_personal_data(certificate.person, current_user, ["id_number"],
                             via="certificate_sheet")


@bp.route("/batches/<batch_id>/sheets.pdf", methods=["POST"])
@login_required
@require(Permission.APPROVE_CASES)
def batch_sheets(batch_id):
    """Queue the data sheets of all valid certificates of a batch (one PDF); the job's page
    offers the file."""
    batch = _load_batch(batch_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    job = enqueue_file_job(tasks.BATCH_SHEETS, {"batch_id": batch.id}, actor=current_user,
                           township_id=None,
                           back=url_for("certificates.show_batch", batch_id=batch.id))
    return redirect(job_url(job))


@bp.route("/sheets/<certificate_id>.pdf")
@login_required
@require(Permission.APPROVE_CASES)
def certificate_sheet(certificate_id):
    """The data sheet of one certificate, as PDF (one page: in the request; a batch's sheets
    are a job, `batch_sheets`)."""
    certificate = get_scoped_or_404(Certificate, certificate_id)
    record_event("certificate.sheet_pdf", actor=current_user, obj=certificate)
    _record_full_ids([certificate])
    return _pdf_response(data_sheets_pdf([certificate]), f"certificate-{certificate.id}.pdf")


@bp.route("/certificates/<certificate_id>/reprint", methods=["GET", "POST"])
@login_required
@require(Permission.APPROVE_CASES)
def reprint(certificate_id):
    """Record why a certificate is printed again, then offer its sheet."""
    certificate = get_scoped_or_404(Certificate, certificate_id)
    form = ReprintForm()
    if form.validate_on_submit():
        try:
            record_reprint(certificate, current_user, reason=form.reason.data)
        except Refused as refusal:
            show_in_form(form, refusal, "reason")
        else:
            flash(_("The reprint is recorded. Print the data sheet again."), "success")
            return redirect(url_for("certificates.show_batch",
                                    batch_id=certificate.print_batch_id))
    return _render("certificates/reprint.html", certificate=certificate, form=form)


# --- city: dispatch, overdue, destruction ------------------------------------------------

@bp.route("/dispatches/new", methods=["GET", "POST"])
@login_required
@require(Permission.APPROVE_CASES)
def new_dispatch():
    """Send a township all its printed certificates in one dispatch batch."""
    access = current_access()
    townships = _townships()
    counts = db.session.execute(
        dispatchable_stmt(access).with_only_columns(Certificate.township_id, func.count())
        .group_by(Certificate.township_id).order_by(None)).all()
    form = DispatchForm(townships=[(townships[tid], n) for tid, n in counts])
    if form.validate_on_submit():
        try:
            batch = create_dispatch_batch(current_user, access, townships[form.township.data],
                                          today=local_today())
        except Refused as refusal:
            show_in_form(form, refusal, "township")
        else:
            flash(_("Dispatch batch #%(n)s sent with %(count)s certificates.", n=batch.id,
                    count=batch.sent_count), "success")
            return redirect(url_for("certificates.show_dispatch", dispatch_id=batch.id))
    return _render("certificates/new_dispatch.html", form=form)


@bp.route("/dispatches/<dispatch_id>")
@login_required
@require(Permission.VIEW_BATCHES)
def show_dispatch(dispatch_id):
    """One dispatch batch as the city sees it: sent, received, counted, handed over."""
    batch = get_scoped_or_404(DispatchBatch, dispatch_id)
    return _render("certificates/dispatch.html", batch=batch, townships=_townships(),
                   city=True, certificates=batch.certificates)


@bp.route("/overdue")
@login_required
@require(Permission.VIEW_BATCHES)
def overdue():
    """Certificates stuck on the way, across townships, with their age in days."""
    today = local_today()
    return _render("certificates/overdue.html", rows=_overdue_rows(current_access(), today),
                   townships=_townships(), city=True,
                   deadlines={k: deadline_days(k) for k in OVERDUE_KINDS})


@bp.route("/destruction", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_BATCHES)
def destruction():
    """The printable list of collected old certificates awaiting destruction."""
    access = current_access()
    handovers = db.session.scalars(destruction_stmt(access).options(
        selectinload(Handover.certificate).selectinload(Certificate.person))).all()
    form = ConfirmForm()
    if request.method == "POST" and access.can(Permission.APPROVE_CASES) \
            and form.validate_on_submit():
        count = mark_destroyed(handovers, current_user, today=local_today())
        flash(_("%(count)s old certificates recorded as destroyed.", count=count), "success")
        return redirect(url_for("certificates.destruction"))
    return _render("certificates/destruction.html", handovers=handovers, form=form,
                   townships=_townships(), can_destroy=access.can(Permission.APPROVE_CASES))


# --- township: receipt and handover ------------------------------------------------------

@township_bp.route("/")
@login_required
@require(Permission.VIEW_BATCHES)
def township_index():
    """The township's parcels and the certificates waiting to be handed over, with age."""
    access = current_access()
    today = local_today()
    dispatches = db.session.scalars(
        scoped(select(DispatchBatch)).order_by(DispatchBatch.id.desc()).limit(50)).all()
    waiting = db.session.scalars(awaiting_handover_stmt(access).options(
        selectinload(Certificate.person), selectinload(Certificate.dispatch_batch))).all()
    return _render("certificates/township.html", dispatches=dispatches, waiting=waiting,
                   today=today, limit=deadline_days("not_handed_over"))


@township_bp.route("/overdue")
@login_required
@require(Permission.VIEW_BATCHES)
def township_overdue():
    """The township's certificates stuck on the way, with their age in days."""
    today = local_today()
    return _render("certificates/overdue.html", rows=_overdue_rows(current_access(), today),
                   townships=_townships(), city=False,
                   deadlines={k: deadline_days(k) for k in OVERDUE_KINDS})


@township_bp.route("/dispatches/<dispatch_id>", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_BATCHES)
def township_dispatch(dispatch_id):
    """A parcel from the city: count it and acknowledge receipt."""
    batch = get_scoped_or_404(DispatchBatch, dispatch_id)
    access = current_access()
    form = ReceiptForm()
    if request.method == "POST":
        if not access.can(Permission.MANAGE_CASES):
            abort(403)
        if form.validate_on_submit():
            try:
                acknowledge_receipt(batch, current_user, counted=form.counted.data,
                                    note=form.note.data or "", today=local_today())
            except Refused as refusal:
                show_in_form(form, refusal, "counted")
            else:
                if batch.count_mismatch:
                    flash(_("Receipt recorded. The count differs from the number sent: the "
                            "city is told."), "warning")
                else:
                    flash(_("Receipt recorded."), "success")
                return redirect(url_for("handover.township_dispatch", dispatch_id=batch.id))
    # The township's own certificates of the parcel: a holder who moved to another township
    # since (portal/transfers) took their certificate along.
    certificates = db.session.scalars(scoped(select(Certificate)).where(
        Certificate.dispatch_batch_id == batch.id).order_by(Certificate.id)).all()
    return _render("certificates/dispatch.html", batch=batch, form=form, city=False,
                   townships=_townships(), can_manage=access.can(Permission.MANAGE_CASES),
                   certificates=certificates)


@township_bp.route("/dispatches/<dispatch_id>/receipts")
@login_required
@require(Permission.VIEW_BATCHES)
def receipt_list(dispatch_id):
    """The printable handover receipt list of a parcel, with a signature column."""
    batch = get_scoped_or_404(DispatchBatch, dispatch_id)
    certificates = db.session.scalars(
        scoped(select(Certificate)).where(Certificate.dispatch_batch_id == batch.id)
        .options(selectinload(Certificate.person), selectinload(Certificate.handover))
        .order_by(Certificate.id)).all()
    return _render("certificates/receipts.html", batch=batch, certificates=certificates)


@township_bp.route("/<certificate_id>/handover", methods=["GET", "POST"])
@login_required
@require(Permission.MANAGE_CASES)
def handover(certificate_id):
    """Hand one certificate over: who received it, relation, ID checked, date."""
    certificate = get_scoped_or_404(Certificate, certificate_id)
    form = HandoverForm()
    if request.method == "GET":
        form.handed_on.data = local_today()
        form.receiver_name.data = certificate.person.name
    if form.validate_on_submit():
        try:
            done = record_handover(
                certificate, current_user, current_access(),
                receiver_name=form.receiver_name.data, relation=form.relation.data,
                id_last_digits=form.id_last_digits.data, handed_on=form.handed_on.data,
                today=local_today(), old_collected=form.old_collected.data,
                late_reason=form.late_reason.data or "")
            photo = form.receipt_photo.data
            if photo and photo.filename:
                evidence = store_upload(
                    case=certificate.case, stream=photo.stream, filename=photo.filename,
                    claimed_type=photo.content_type, kind="signed_form", actor=current_user,
                    store=get_store(current_app), config=current_app.config)
                done.receipt_evidence_id = evidence.id
                db.session.flush()
        except Refused as refusal:  # a refused ID check stays audited (certificates.services)
            if refusal.code.startswith("evidence_"):
                discard()  # the handover waits for a photo the store accepts
                form.receipt_photo.errors.append(refusal.message)
            elif refusal.field:
                show_in_form(form, refusal)
            else:
                discard()
                flash(refusal.message, "danger")
        else:
            flash(_("Handover recorded."), "success")
            return redirect(url_for("handover.township_index"))
    return _render("certificates/handover.html", certificate=certificate, form=form)


# --- public verification -----------------------------------------------------------------

def _verify_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT", "30 per minute")


@verify_bp.route("/<qr_token>")
@limiter.limit(_verify_limit)
def check(qr_token):
    """Public QR check: only valid / expired / cancelled / unknown, category, grade, expiry."""
    certificate = certificate_for_token(qr_token[:200])
    status, shown = scan_preview(certificate, local_today())
    record_event("certificate.verify", object_type="certificates",
                 object_id=certificate.id if certificate else None,
                 township_id=certificate.township_id if certificate else None,
                 details={"result": status})
    response = make_response(_render("certificates/verify.html", status=status, shown=shown))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
