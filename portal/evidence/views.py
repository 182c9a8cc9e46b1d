"""Views of the evidence area: upload (streamed), written statements, viewing and downloading
(after the case's own authorization, audited), superseding, and the case page's gallery."""
from __future__ import annotations

import io
import json

from flask import (
    Response,
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
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import select
from wtforms import ValidationError

from portal.auth.roles import Permission
from portal.cases.models import Case
from portal.errors import error_page
from portal.evidence import bp
from portal.evidence.forms import UPLOAD_KINDS, StatementForm, SupersedeForm, UploadForm
from portal.evidence.models import Evidence
from portal.evidence.services import (
    KIND_LABELS,
    accept_attribute,
    case_evidence,
    get_store,
    read_text_preview,
    record_view,
    store_upload,
    supersede,
)
from portal.evidence.streaming import streamed_form
from portal.extensions import csrf, db
from portal.refusals import Refused, show_in_form
from portal.security import protect_file
from portal.storage import CHUNK_SIZE, LocalStore, ObjectMissing, StoreError
from portal.tenancy import current_access, get_scoped_or_404, require, scoped
from portal.uow import after_rollback, discard

SMALL_OBJECT = 256 * 1024
INLINE_TYPES = ("image/", "video/", "audio/", "application/pdf", "text/plain")


def can_upload(access) -> bool:
    """Township staff and the case's doctor add evidence (guardians use their own portal)."""
    return access.can(Permission.MANAGE_CASES) or access.can(Permission.ASSESS)


def can_supersede(access, evidence: Evidence) -> bool:
    """Staff who manage cases, or the person who uploaded it."""
    return access.can(Permission.MANAGE_CASES) or evidence.uploaded_by_id == access.user_id


def _upload_form(formdata=None) -> UploadForm:
    # formdata=None: never let the form read the request body itself (it may be streaming).
    form = UploadForm(formdata=formdata, accept=accept_attribute("photo", current_app.config))
    per_kind = {k: accept_attribute(k, current_app.config) for k in UPLOAD_KINDS}
    form.kind.render_kw = dict(form.kind.render_kw, **{"data-accept": json.dumps(per_kind)})
    return form


def _case_for_upload(case_id: int) -> Case:
    case = get_scoped_or_404(Case, case_id)
    if not can_upload(current_access()):
        abort(403)
    return case


def _limits() -> dict:
    return {"video_mb": current_app.config["EVIDENCE_MAX_VIDEO_MB"],
            "other_mb": current_app.config["EVIDENCE_MAX_OTHER_MB"]}


@bp.route("/cases/<int:case_id>/upload", methods=["GET"])
@login_required
@require(Permission.VIEW_CASES)
def upload_page(case_id: int):
    """The upload page of one case (works with a phone's camera)."""
    case = _case_for_upload(case_id)
    return render_template("evidence/upload.html", case=case, form=_upload_form(),
                           statement_form=StatementForm(formdata=None), limits=_limits())


@bp.route("/cases/<int:case_id>/upload", methods=["POST"])
@csrf.exempt  # the CSRF token is checked by the form below, once the body is streaming
@login_required
@require(Permission.VIEW_CASES)
def upload(case_id: int):
    """Receive one file, streaming it into the store while hashing it."""
    case = _case_for_upload(case_id)
    config = current_app.config
    # The body may be a 500 MB video: the app-wide limit is for ordinary forms.
    request.max_content_length = (config["EVIDENCE_MAX_VIDEO_MB"] + 1) * 1024 * 1024
    # Anything but multipart carries no file: its small form is read the ordinary way.
    multipart = request.mimetype == "multipart/form-data"
    fields = streamed_form(request) if multipart else request.form
    _check_csrf(fields)
    form = _upload_form(formdata=fields)
    if not form.validate():
        return _upload_error(case, form, 400)
    upload_file = form.file.data
    try:
        evidence = store_upload(
            case=case, stream=upload_file.stream, filename=upload_file.filename or "",
            claimed_type=upload_file.content_type, kind=form.kind.data, actor=current_user,
            store=get_store(current_app), config=config)
    except Refused as refusal:
        show_in_form(form, refusal, default_field="file")
        return _upload_error(case, form, refusal.status)
    flash(_("Saved: %(kind)s (%(size)s).", kind=KIND_LABELS[evidence.kind],
            size=_human_size(evidence.size)), "success")
    return redirect(url_for("cases.show_case", case_id=case.id, _anchor="evidence"))


def _check_csrf(fields) -> None:
    """The same CSRF check (and refusal page) as every other form, on the streamed fields."""
    try:
        validate_csrf(fields.get("csrf_token"))
    except ValidationError as exc:
        raise CSRFError(exc.args[0]) from None


def _upload_error(case: Case, form: UploadForm, status: int):
    return render_template("evidence/upload.html", case=case, form=form,
                           statement_form=StatementForm(formdata=None), limits=_limits()), status


@bp.route("/cases/<int:case_id>/statement", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def add_statement(case_id: int):
    """Keep a statement typed on the page as a text object of the case."""
    case = _case_for_upload(case_id)
    form = StatementForm()
    if not form.validate_on_submit():
        return render_template("evidence/upload.html", case=case, form=_upload_form(),
                               statement_form=form, limits=_limits()), 400
    try:
        store_upload(case=case, stream=io.BytesIO(form.text.data.encode("utf-8")),
                     filename="", claimed_type="text/plain", kind="statement",
                     actor=current_user, store=get_store(current_app),
                     config=current_app.config)
    except Refused as refusal:
        show_in_form(form, refusal, default_field="text")
        return render_template("evidence/upload.html", case=case, form=_upload_form(),
                               statement_form=form, limits=_limits()), refusal.status
    flash(_("The statement was saved."), "success")
    return redirect(url_for("cases.show_case", case_id=case.id, _anchor="evidence"))


def _evidence_of_case(case_id: int, evidence_id: int) -> Evidence:
    """The case first (same authorization as the case page), then its evidence."""
    case = get_scoped_or_404(Case, case_id)
    evidence = db.session.execute(
        scoped(select(Evidence)).where(Evidence.id == evidence_id, Evidence.case_id == case.id)
    ).scalar_one_or_none()
    if evidence is None:
        abort(404)
    return evidence


@bp.route("/cases/<int:case_id>/items/<int:evidence_id>")
@login_required
@require(Permission.VIEW_CASES)
def view_evidence(case_id: int, evidence_id: int):
    """Show one piece of evidence inline, streamed through the portal (audited)."""
    evidence = _evidence_of_case(case_id, evidence_id)
    return serve_evidence(evidence, actor=current_user, download=False)


@bp.route("/cases/<int:case_id>/items/<int:evidence_id>/download")
@login_required
@require(Permission.VIEW_CASES)
def download_evidence(case_id: int, evidence_id: int):
    """Download one piece of evidence: a short presigned link (MinIO) or streamed (audited)."""
    evidence = _evidence_of_case(case_id, evidence_id)
    return serve_evidence(evidence, actor=current_user, download=True)


def serve_evidence(evidence: Evidence, *, actor, download: bool):
    """Audit and answer one view or download (the caller has authorized it already)."""
    store = get_store(current_app)
    name = evidence.original_filename or f"evidence-{evidence.id}"
    if download:
        try:
            url = store.presigned_get(evidence.object_key, 300,
                                      content_type=evidence.content_type, filename=name)
        except StoreError:
            return _store_unavailable_page()
        if url:
            record_view(evidence, actor, via="presigned", download=True)
            response = redirect(url, code=303)
            response.headers["Cache-Control"] = "no-store"
            return response
    # The object is opened first, so that the audit records only views that happen; the
    # answer leaves only once the request's unit of work has committed the audit row (if it
    # rolls back instead, the opened object is closed and nothing is shown).
    try:
        response = _stream(evidence, store, name, download)
    except ObjectMissing:
        current_app.logger.error("evidence %s: object missing from the store", evidence.id)
        abort(404)
    except StoreError:
        return _store_unavailable_page()
    after_rollback(response.close)
    record_view(evidence, actor, via="stream", download=download)
    return protect_file(response, evidence.content_type)


def _store_unavailable_page():
    """The clear 503 page when the evidence store cannot be read (nothing was shown, so no
    view is audited; the user may simply try again)."""
    current_app.logger.warning("evidence store unavailable while serving evidence")
    return error_page(503, _("The evidence store cannot be reached just now. "
                             "Please try again in a few minutes."))


def _stream(evidence: Evidence, store, name: str, download: bool) -> Response:
    inline = not download and evidence.content_type.startswith(INLINE_TYPES)
    if isinstance(store, LocalStore):
        path = store.path_for(evidence.object_key)
        if not path.is_file():
            raise ObjectMissing(evidence.object_key)
        if evidence.size <= SMALL_OBJECT:  # read at once: no file stays open behind the answer
            path = io.BytesIO(path.read_bytes())
        return send_file(path, mimetype=evidence.content_type, as_attachment=not inline,
                         download_name=name, conditional=True, etag=evidence.sha256,
                         max_age=0)
    return _stream_range(evidence, store, name, inline)


def _stream_range(evidence: Evidence, store, name: str, inline: bool) -> Response:
    """Stream from an object store, honouring one byte range (video players seek with it)."""
    from werkzeug.http import parse_range_header

    size = evidence.size
    start, stop, status = 0, size, 200
    ranges = parse_range_header(request.headers.get("Range"))
    if ranges is not None and len(ranges.ranges) == 1:
        bounds = ranges.range_for_length(size)
        if bounds is None:
            return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        start, stop = bounds
        status = 206
    body = store.open(evidence.object_key, start, stop - start) if size else io.BytesIO()

    def chunks():
        try:
            while chunk := body.read(CHUNK_SIZE):
                yield chunk
        finally:
            body.close()

    response = Response(chunks(), status=status, mimetype=evidence.content_type,
                        direct_passthrough=True)
    response.headers["Content-Length"] = str(stop - start)
    response.headers["Accept-Ranges"] = "bytes"
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    disposition = "inline" if inline else "attachment"
    from werkzeug.utils import secure_filename

    ascii_name = secure_filename(name) or f"evidence-{evidence.id}"
    from urllib.parse import quote

    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}")
    return response


@bp.route("/cases/<int:case_id>/items/<int:evidence_id>/supersede", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def supersede_evidence(case_id: int, evidence_id: int):
    """Mark evidence as superseded with a reason (it stays on record)."""
    evidence = _evidence_of_case(case_id, evidence_id)
    if not can_supersede(current_access(), evidence):
        abort(403)
    form = SupersedeForm(prefix=f"e{evidence.id}")
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else _("The form expired."), "error")
        return redirect(url_for("cases.show_case", case_id=case_id, _anchor="evidence"))
    try:
        supersede(evidence, form.reason.data, current_user)
    except Refused as refusal:
        discard()
        flash(refusal.message, "error")
        return redirect(url_for("cases.show_case", case_id=case_id, _anchor="evidence"))
    flash(_("The evidence is marked as superseded."), "success")
    return redirect(url_for("cases.show_case", case_id=case_id, _anchor="evidence"))


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


@bp.app_context_processor
def _gallery_helpers():
    """`evidence_gallery(case)` for the case page's gallery partial."""
    return {"evidence_gallery": evidence_gallery, "human_size": _human_size,
            "EVIDENCE_KIND_LABELS": KIND_LABELS}


def evidence_gallery(case: Case) -> dict | None:
    """What the gallery partial shows: the case's evidence, text previews, the forms."""
    access = g.get("access")
    if access is None:
        return None
    items = case_evidence(case, lambda stmt: scoped(stmt, access))
    store = get_store(current_app)
    previews = {e.id: read_text_preview(e, store) for e in items
                if e.content_type == "text/plain" and e.size <= 64 * 1024}
    can_add = can_upload(access)
    return {
        "items": items,
        "previews": previews,
        "can_upload": can_add,
        "upload_form": _upload_form() if can_add else None,
        "statement_form": StatementForm(formdata=None) if can_add else None,
        "supersede_forms": {e.id: SupersedeForm(formdata=None, prefix=f"e{e.id}")
                            for e in items},
        "can_supersede": {e.id: can_supersede(access, e) for e in items},
        "limits": _limits(),
    }
