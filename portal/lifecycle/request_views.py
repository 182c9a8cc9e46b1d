"""One request's page and its steps: documents (stored, viewed with an audit event), the
township's check, the city's decision, withdrawal, the old card handed back."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, url_for
from flask import request as http_request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.audit.services import record_event
from portal.auth.roles import Permission
from portal.clock import local_today
from portal.evidence.services import get_store
from portal.lifecycle import bp
from portal.lifecycle.documents import add_document, record_document_view
from portal.lifecycle.forms import (
    CollectedForm,
    DecisionForm,
    DocumentForm,
    WithdrawForm,
)
from portal.lifecycle.models import CertificateRequest, RequestDocument
from portal.lifecycle.services import (
    collectable,
    decide_request,
    record_card_collected,
    submit_request,
    withdraw_request,
)
from portal.lifecycle.views import render
from portal.refusals import Refused, show_in_form
from portal.security import protect_file
from portal.storage import CHUNK_SIZE, ObjectMissing, StoreError
from portal.tenancy import current_access, get_scoped_or_404, require

INLINE_TYPES = ("image/", "application/pdf", "text/plain")


def _load(request_id) -> CertificateRequest:
    return get_scoped_or_404(CertificateRequest, request_id)


def _page(req: CertificateRequest, status: int = 200, **forms):
    access = current_access()
    forms.setdefault("document_form", DocumentForm())
    forms.setdefault("decision_form", DecisionForm())
    forms.setdefault("withdraw_form", WithdrawForm())
    forms.setdefault("collected_form", CollectedForm(data={"collected_on": local_today()}))
    return render("lifecycle/show.html", req=req, person=req.person,
                  can_manage=access.can(Permission.MANAGE_CASES),
                  can_decide=access.can(Permission.APPROVE_CASES),
                  collectable=collectable(req), **forms), status


def _back(req: CertificateRequest, message: str):
    flash(message, "success")
    return redirect(url_for("lifecycle.show_request", request_id=req.id))


@bp.route("/requests/<int:request_id>")
@login_required
@require(Permission.VIEW_PERSONS)
def show_request(request_id: int):
    """A request: what it asks, the certificate it concerns, documents, timeline, steps (the
    view is audited: it shows personal data)."""
    req = _load(request_id)
    record_event("certificate_life.request_viewed", actor=current_user, obj=req)
    return _page(req)


@bp.route("/requests/<int:request_id>/documents", methods=["POST"])
@login_required
@require(Permission.MANAGE_CASES)
def upload_document(request_id: int):
    """Add one document (stored in the evidence store)."""
    req = _load(request_id)
    form = DocumentForm()
    if not form.validate_on_submit():
        return _page(req, 400, document_form=form)
    upload = form.file.data
    try:
        add_document(req, current_user, stream=upload.stream, filename=upload.filename,
                     kind=form.kind.data)
    except Refused as refusal:
        show_in_form(form, refusal, default_field="file")
        return _page(req, refusal.status if refusal.status != 409 else 400,
                     document_form=form)
    return _back(req, _("The document was added."))


@bp.route("/requests/<int:request_id>/documents/<int:document_id>")
@login_required
@require(Permission.VIEW_PERSONS)
def view_document(request_id: int, document_id: int):
    """Open one document of the request (audited; never cached)."""
    req = _load(request_id)
    document = get_scoped_or_404(RequestDocument, document_id)
    if document.request_id != req.id:
        abort(404)
    store = get_store(current_app)
    try:
        body = store.open(document.object_key)
    except ObjectMissing:
        abort(404)
    except StoreError:
        abort(503)
    record_document_view(document, current_user)

    def chunks():
        try:
            while chunk := body.read(CHUNK_SIZE):
                yield chunk
        finally:
            body.close()

    response = Response(chunks(), mimetype=document.content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(document.size)
    inline = document.content_type.startswith(INLINE_TYPES)
    response.headers["Content-Disposition"] = (
        f'{"inline" if inline else "attachment"}; filename="document-{document.id}"')
    return protect_file(response, document.content_type)


@bp.route("/requests/<int:request_id>/submit", methods=["POST"])
@login_required
@require(Permission.MANAGE_CASES)
def submit(request_id: int):
    """The township checked the request and its documents: send it to the city."""
    req = _load(request_id)
    if not DecisionForm().validate_on_submit():
        abort(400)
    submit_request(req, current_user)
    return _back(req, _("The request was sent to the city."))


@bp.route("/requests/<int:request_id>/decide", methods=["POST"])
@login_required
def decide(request_id: int):
    """The city approves or refuses the request (the button pressed says which)."""
    # The request first: somebody of another township learns nothing, not even a 403.
    req = _load(request_id)
    if not current_access().can(Permission.APPROVE_CASES):
        abort(403)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _page(req, 400, decision_form=form)
    approve = http_request.form.get("decision") == "approve"
    try:
        decide_request(req, current_user, current_access(), approve=approve,
                       note=form.note.data or "")
    except Refused as refusal:
        show_in_form(form, refusal, default_field="note")
        return _page(req, 400, decision_form=form)
    return _back(req, _("The request is approved.") if approve else
                 _("The request is refused."))


@bp.route("/requests/<int:request_id>/withdraw", methods=["POST"])
@login_required
@require(Permission.MANAGE_CASES)
def withdraw(request_id: int):
    """Give up a request that has not been sent to the city."""
    req = _load(request_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _page(req, 400, withdraw_form=form)
    try:
        withdraw_request(req, current_user, note=form.note.data)
    except Refused as refusal:
        show_in_form(form, refusal, default_field="note")
        return _page(req, 400, withdraw_form=form)
    return _back(req, _("The request is withdrawn."))


@bp.route("/requests/<int:request_id>/card-collected", methods=["POST"])
@login_required
@require(Permission.MANAGE_CASES)
def card_collected(request_id: int):
    """Record that the old card was handed back."""
    req = _load(request_id)
    form = CollectedForm()
    if not form.validate_on_submit():
        return _page(req, 400, collected_form=form)
    try:
        record_card_collected(req, current_user, collected_on=form.collected_on.data)
    except Refused as refusal:
        show_in_form(form, refusal, default_field="collected_on")
        return _page(req, 400, collected_form=form)
    return _back(req, _("The old card is recorded as handed back."))
