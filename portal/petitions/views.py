"""The officials' pages of petitions, the same views on a township's pages (/t/<code>/petitions)
and the city's (/city/petitions): the lists, recording a petition, a petition's page with its
timeline and the forms of the steps the user may take, and its attachments."""
from __future__ import annotations

from urllib.parse import quote

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.utils import secure_filename

from portal.audit.services import record_event
from portal.auth.models import User
from portal.auth.roles import Permission
from portal.clock import local_today
from portal.evidence.services import get_store
from portal.extensions import db
from portal.pages import link_args, paginate
from portal.petitions import bp, city_bp
from portal.petitions.attachments import accept_attribute, attach
from portal.petitions.forms import AttachmentForm, StaffPetitionForm
from portal.petitions.labels import (
    ACTION_LABELS,
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    LIST_VIEWS,
    STATE_LABELS,
    STATE_TONES,
    TOLD_LABELS,
)
from portal.petitions.models import STATES, Petition, PetitionAttachment
from portal.petitions.queries import VIEWS, narrowed, ordered, visible
from portal.petitions.services import (
    NewPetition,
    Subject,
    limits,
    record_petition,
    resolve_subject,
)
from portal.petitions.step_forms import available_steps, step_forms
from portal.petitions.units import (
    Unit,
    handles,
    handles_unit,
    petition_unit_name,
    unit_choices,
    unit_label,
    unit_name,
)
from portal.reference.models import Hospital, Township
from portal.refusals import Refused, show_in_form
from portal.security import protect_file
from portal.storage import CHUNK_SIZE, ObjectMissing, StoreError
from portal.tenancy import current_access, get_scoped_or_404, require

PER_PAGE = 30


def ep(name: str) -> str:
    """The endpoint of `name` on the blueprint of the page being shown."""
    return ("petitions." if g.get("township") else "city_petitions.") + name


def mask_name(name: str) -> str:
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def common() -> dict:
    return {"ep": ep, "mask_name": mask_name, "STATE_LABELS": STATE_LABELS,
            "STATE_TONES": STATE_TONES, "CHANNEL_LABELS": CHANNEL_LABELS,
            "CATEGORY_LABELS": CATEGORY_LABELS, "ACTION_LABELS": ACTION_LABELS,
            "TOLD_LABELS": TOLD_LABELS, "unit_name": petition_unit_name,
            "unit_label": unit_label,
            "today": local_today()}


# --- lists ------------------------------------------------------------------------------------

@login_required
@require(Permission.VIEW_PETITIONS)
def list_petitions():
    """Mine, my unit's, due soon, overdue, extensions to approve, all open, or all."""
    access = current_access()
    view = request.args.get("view", "open")
    if view not in VIEWS:
        view = "open"
    state = request.args.get("state", "")
    reference = "".join(request.args.get("q", "").split()).upper()[:24]
    today, soon = local_today(), limits().due_soon_days
    stmt = narrowed(visible(access), view, access, today, soon)
    if state in STATES:
        stmt = stmt.where(Petition.state == state)
    if reference:
        stmt = stmt.where(Petition.reference.contains(reference))
    page = paginate(ordered(stmt, view), PER_PAGE)
    return render_template(
        "petitions/list.html", page=page, view=view, views=VIEWS, state=state, q=reference,
        args=link_args(), soon_days=soon, LIST_VIEWS=LIST_VIEWS, STATES=STATES,
        can_record=access.can(Permission.HANDLE_PETITIONS), **common())


# --- recording --------------------------------------------------------------------------------

def _staff_form() -> StaffPetitionForm:
    township = g.get("township")
    townships = [] if township else list(db.session.scalars(
        select(Township).order_by(Township.position)))
    return StaffPetitionForm(townships=townships, units=unit_choices(township),
                             fixed_township=township)


def _subject_from(form: StaffPetitionForm, access) -> Subject:
    township = g.get("township")
    subject_unit = Unit.parse(form.subject_unit.data)
    subject = Subject(township_id=township.id if township else (form.township.data or None),
                      about_township_staff=bool(form.about_township_staff.data),
                      unit_kind=subject_unit.kind if subject_unit else None,
                      hospital_id=subject_unit.hospital_id if subject_unit else None)
    return resolve_subject(access, subject, case_number=form.case_number.data,
                           certificate_number=form.certificate_number.data,
                           id_number=form.id_number.data)


def _record_from(form: StaffPetitionForm, access) -> Petition:
    unit = Unit.parse(form.unit.data)
    if unit is None:
        raise Refused("petition_unit_township", field="unit")
    new = NewPetition(
        channel=form.channel.data, category=form.category.data, content=form.content.data,
        petitioner_name=form.petitioner_name.data,
        petitioner_phone=form.petitioner_phone.data or "",
        petitioner_address=form.petitioner_address.data or "",
        subject=_subject_from(form, access), unit=unit, received_on=form.received_on.data,
        late_reason=form.late_reason.data or "")
    petition = record_petition(new, actor=current_user,
                               handler_id=current_user.id if handles_unit(access, unit)
                               else None)
    upload = form.attachment.data
    if upload and upload.filename:
        attach(petition, stream=upload.stream, filename=upload.filename, actor=current_user,
               store=get_store(current_app), config=current_app.config)
    return petition


@login_required
@require(Permission.HANDLE_PETITIONS)
def new_petition():
    """Record a petition received by visit, letter, phone, the 12345 hotline or online."""
    access = current_access()
    form = _staff_form()
    if request.method == "GET":
        if request.args.get("case", type=int):
            form.case_number.data = request.args.get("case", type=int)
        if g.get("township") is not None:
            form.unit.data = Unit("township_dpf", township_id=g.township.id).value
    status = 200
    if form.validate_on_submit():
        try:
            petition = _record_from(form, access)
        except Refused as refusal:
            show_in_form(form, refusal)
            status = 400
        else:
            return _after_recording(petition, access)
    elif form.is_submitted():
        status = 400
    return render_template("petitions/new.html", form=form,
                           accept=accept_attribute(current_app.config), **common()), status


def _after_recording(petition: Petition, access):
    still_seen = db.session.scalar(visible(access).where(Petition.id == petition.id))
    if still_seen is None:
        flash(_("Petition %(ref)s was recorded. It concerns this township's own staff, so it "
                "went to the city DPF and is not shown here.", ref=petition.reference), "info")
        return redirect(url_for(ep("list_petitions")))
    flash(_("Petition %(ref)s was recorded.", ref=petition.reference), "success")
    return redirect(url_for(ep("show_petition"), petition_id=petition.id))


# --- one petition -----------------------------------------------------------------------------

def _people_of(petition: Petition, identity: bool) -> dict[int, str]:
    """The names of the officials on the petition's page; a guardian who filed it is the
    petitioner, named only to its handlers."""
    ids = {e.actor_id for e in petition.events if e.actor_id}
    ids |= {x.requested_by_id for x in petition.extensions}
    ids |= {x.decided_by_id for x in petition.extensions if x.decided_by_id}
    ids |= {i for i in (petition.answered_by_id, petition.reviewed_by_id, petition.handler_id)
            if i}
    names = {u.id: (u.display_name or u.username)
             for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    if petition.filed_by_id and not identity:
        names[petition.filed_by_id] = _("the petitioner")
    return names


def render_petition(petition: Petition, forms: dict | None = None, status: int = 200):
    """The petition's page; the petitioner's identity only for its handlers (and audited)."""
    access = current_access()
    identity = handles(access, petition)
    if identity:
        record_event("petition.identity_viewed", actor=current_user, obj=petition,
                     details={"reference": petition.reference})
    steps = available_steps(petition, access, current_user)
    # A refused step's form is shown again with its refusal, even if it is no longer offered.
    steps += [step for step in (forms or {}) if step not in steps]
    forms = {**step_forms(steps, petition, g.get("township")), **(forms or {})}
    subject_hospital = (db.session.get(Hospital, petition.subject_hospital_id)
                        if petition.subject_hospital_id else None)
    return render_template(
        "petitions/show.html", petition=petition, identity=identity, steps=steps, forms=forms,
        people=_people_of(petition, identity), attachment_form=AttachmentForm(prefix="file"),
        accept=accept_attribute(current_app.config), subject_unit=unit_name(
            petition.subject_unit_kind, petition.township, subject_hospital)
        if petition.subject_unit_kind else "", **common()), status


@login_required
@require(Permission.VIEW_PETITIONS)
def show_petition(petition_id: int):
    """A petition: subject, stage and deadline, timeline, attachments, the steps to take."""
    return render_petition(get_scoped_or_404(Petition, petition_id))


@login_required
@require(Permission.HANDLE_PETITIONS)
def add_attachment(petition_id: int):
    """A handler adds a file to the petition (a letter that came later, a photo)."""
    petition = get_scoped_or_404(Petition, petition_id)
    if not handles(current_access(), petition):
        abort(403)
    form = AttachmentForm(prefix="file")
    upload = form.attachment.data if form.validate_on_submit() else None
    if not upload or not upload.filename:
        flash(_("Choose a file."), "warning")
        return redirect(url_for(ep("show_petition"), petition_id=petition.id), 303)
    try:
        attach(petition, stream=upload.stream, filename=upload.filename, actor=current_user,
               store=get_store(current_app), config=current_app.config)
    except Refused as refusal:
        show_in_form(form, refusal)
        return render_petition(petition, status=400)
    flash(_("The file was added."), "success")
    return redirect(url_for(ep("show_petition"), petition_id=petition.id), 303)


@login_required
@require(Permission.VIEW_PETITIONS)
def open_attachment(petition_id: int, attachment_id: int):
    """An attachment, for the petition's handlers only (it may name the petitioner)."""
    petition = get_scoped_or_404(Petition, petition_id)
    attachment = db.session.scalar(select(PetitionAttachment).where(
        PetitionAttachment.id == attachment_id, PetitionAttachment.petition_id == petition.id))
    if attachment is None:
        abort(404)
    if not handles(current_access(), petition):
        abort(403)
    try:
        body = get_store(current_app).open(attachment.object_key)
    except ObjectMissing:
        abort(404)
    except StoreError:
        abort(503)
    record_event("petition.attachment_viewed", actor=current_user, obj=petition,
                 details={"reference": petition.reference, "attachment_id": attachment.id})

    def chunks():
        try:
            while chunk := body.read(CHUNK_SIZE):
                yield chunk
        finally:
            body.close()

    response = Response(chunks(), mimetype=attachment.content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(attachment.size)
    name = attachment.original_filename or f"petition-{attachment.id}"
    ascii_name = secure_filename(name) or f"petition-{attachment.id}"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}")
    return protect_file(response, attachment.content_type)


for _blueprint in (bp, city_bp):
    _blueprint.add_url_rule("/", "list_petitions", list_petitions)
    _blueprint.add_url_rule("/new", "new_petition", new_petition, methods=["GET", "POST"])
    _blueprint.add_url_rule("/<int:petition_id>", "show_petition", show_petition)
    _blueprint.add_url_rule("/<int:petition_id>/attachments", "add_attachment", add_attachment,
                            methods=["POST"])
    _blueprint.add_url_rule("/<int:petition_id>/attachments/<int:attachment_id>",
                            "open_attachment", open_attachment)

from portal.petitions import step_views  # noqa: F401
