"""Views of the guardian area: inviting a guardian (township side), opening an invite link,
and the guardian's own pages (their applicants, appointments, documents, uploads)."""
from __future__ import annotations

import segno
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from portal.auth.roles import Permission, Role
from portal.auth.sessions import start_session
from portal.cases.labels import CASE_LABELS
from portal.cases.models import OPEN_STATES, Case
from portal.clock import local_today
from portal.evidence.services import accept_attribute, get_store
from portal.extensions import db
from portal.guardian import bp, invites_bp
from portal.guardian.forms import (
    InviteForm,
    JoinForm,
    RevokeForm,
    SessionOnlyForm,
    SetPasswordForm,
    UploadForm,
)
from portal.guardian.models import GuardianInvite
from portal.guardian.services import (
    DOCUMENT_KINDS,
    DOCUMENT_LABELS,
    accept_for_session,
    accept_into_account,
    accept_with_password,
    create_invite,
    documents_checklist,
    find_invite,
    guardian_uploads,
    invite_days,
    is_guardian_only,
    next_appointment,
    revoke_invite,
    upload_document,
)
from portal.guardian.status import status_sentence
from portal.models_base import utcnow
from portal.public_url import public_url
from portal.refusals import Refused, show_in_form
from portal.rosters.models import Person
from portal.tenancy import access_for, current_access, get_scoped_or_404, scoped
from portal.uow import discard, rollback

# Links made in this browser and not yet shown: invite id -> token (the database keeps
# only the token's hash, so the link can be shown once, right after it was made).
FRESH_LINKS = "guardian_fresh_links"

INVITE_STATUS = {
    "pending": _l("Waiting to be used"),
    "used": _l("Used"),
    "revoked": _l("Revoked"),
    "expired": _l("Expired"),
}


# --- township side: inviting a guardian ----------------------------------------------------

def _case_for_inviting(case_id: int) -> Case:
    """The case, if the user may invite a guardian for it: the township office (the permission
    to invite), or the doctor who assesses this very case; anyone else who sees it gets 403."""
    case = get_scoped_or_404(Case, case_id)
    access = current_access()
    own_case = Role.DOCTOR in access.roles and current_user.id in (case.doctor_id,
                                                                   case.second_doctor_id)
    if not (access.can(Permission.INVITE_GUARDIANS) or own_case):
        abort(403)
    return case


def _qr_svg(url: str) -> Markup:
    """The link as a QR code, inline SVG made on the server (no outside service)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=4, omitsize=True, title=_("QR code of the invite link"))
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def _message(invite: GuardianInvite, url: str, days: int) -> str:
    return _(
        "Hello %(name)s, the township disability office invites you to follow the "
        "disability certificate application you help with and to send its documents. "
        "Open this link on your phone within %(days)s days (it works once): %(url)s",
        name=invite.guardian_name, days=days, url=url,
    )


@invites_bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@login_required
def case_invites(case_id: int):
    """Invite a guardian for a case; list the case's invites; show a new link once."""
    case = _case_for_inviting(case_id)
    form = InviteForm()
    if form.validate_on_submit():
        invite, token = create_invite(case, actor=current_user,
                                      guardian_name=form.guardian_name.data,
                                      relation=form.relation.data, phone=form.phone.data or "")
        fresh = dict(session.get(FRESH_LINKS) or {})
        fresh[str(invite.id)] = token
        session[FRESH_LINKS] = fresh
        flash(_("The invite link is ready. Send it now: it is shown only once."), "success")
        return redirect(url_for(".case_invites", case_id=case.id))
    invites = db.session.scalars(
        scoped(select(GuardianInvite)).where(GuardianInvite.case_id == case.id)
        .order_by(GuardianInvite.id.desc())
    ).all()
    fresh_links = dict(session.get(FRESH_LINKS) or {})
    shown = None
    for invite in invites:
        token = fresh_links.pop(str(invite.id), None)
        if token is not None and shown is None and invite.status(utcnow()) == "pending":
            url = public_url("guardian.open_invite", token=token)
            shown = {"invite": invite, "url": url, "qr": _qr_svg(url),
                     "message": _message(invite, url, invite_days())}
    if FRESH_LINKS in session:
        session.pop(FRESH_LINKS)
    now = utcnow()
    return render_template("guardian/invites.html", case=case, form=form, invites=invites,
                           shown=shown, now=now, revoke_form=RevokeForm(), days=invite_days(),
                           INVITE_STATUS=INVITE_STATUS)


@invites_bp.route("/cases/<int:case_id>/revoke", methods=["POST"])
@login_required
def revoke_case_invite(case_id: int):
    """Revoke one pending invite of the case."""
    case = _case_for_inviting(case_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    invite = get_scoped_or_404(GuardianInvite, form.invite_id.data)
    if invite.case_id != case.id:
        abort(404)
    try:
        revoke_invite(invite, actor=current_user)
    except Refused as refusal:
        discard()
        flash(refusal.message, "error")
    else:
        flash(_("The invite was revoked; its link no longer works."), "success")
    return redirect(url_for(".case_invites", case_id=case.id))


# --- the invite link --------------------------------------------------------------------------

def _invite_gone(invite: GuardianInvite | None):
    """A clear page for a link that is unknown, used, revoked or expired (never a 500)."""
    if invite is None:
        reason, code = "unknown", 404
    else:
        reason, code = invite.status(utcnow()), 410
    return render_template("guardian/invite_gone.html", reason=reason), code


def _start_guardian_session(user, *, session_only: bool) -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    start_session(user)
    if session_only:
        session["guardian_session_only"] = True


def _mask_name(name: str) -> str:
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def _accept_invite(invite, password_form, once_form, join_form, can_join):
    """Use the invite as the posted choice says; the answer, or None to show the page."""
    if request.method != "POST":
        return None
    if can_join and join_form.validate_on_submit():
        accept_into_account(invite, current_user)
        flash(_("The applicant was added to your account."), "success")
        return redirect(url_for("guardian.home"))
    if current_user.is_authenticated:
        return None
    if "once-choice" in request.form and once_form.validate_on_submit():
        user = accept_for_session(invite)
        _start_guardian_session(user, session_only=True)
        flash(_("You are in for this visit only: when you close the browser you will "
                "need a new link."), "info")
        return redirect(url_for("guardian.home"))
    if "account-password" in request.form and password_form.validate_on_submit():
        user = accept_with_password(invite, password_form.password.data)
        _start_guardian_session(user, session_only=False)
        session["guardian_new_username"] = user.username
        return redirect(url_for("guardian.account_ready"))
    return None


@bp.route("/invite/<token>", methods=["GET", "POST"])
def open_invite(token: str):
    """The invite link: set a password, use it once for this session, or add to my account."""
    invite = find_invite(token)
    if invite is None or invite.status(utcnow()) != "pending":
        return _invite_gone(invite)
    password_form = SetPasswordForm(prefix="account")
    once_form = SessionOnlyForm(prefix="once")
    join_form = JoinForm(prefix="join")
    logged_in = current_user.is_authenticated
    can_join = logged_in and is_guardian_only(current_user)
    try:
        answer = _accept_invite(invite, password_form, once_form, join_form, can_join)
    except Refused as refusal:
        if refusal.field != "password":  # the invite itself: used meanwhile, or not for you
            rollback()  # read the invite afresh for the page that says why
            return _invite_gone(find_invite(token))
        show_in_form(password_form, refusal)
    else:
        if answer is not None:
            return answer
    return render_template(
        "guardian/open_invite.html", invite=invite, township=None,
        applicant=_mask_name(invite.case.person.name), password_form=password_form,
        once_form=once_form, join_form=join_form, logged_in=logged_in, can_join=can_join,
    )


# --- the guardian's own pages -----------------------------------------------------------------

@bp.route("/welcome")
@login_required
def account_ready():
    """Shows the new username once, right after the account was made."""
    username = session.pop("guardian_new_username", None)
    if username is None:
        return redirect(url_for("guardian.home"))
    return render_template("guardian/account_ready.html", username=username)


def _my_people() -> list[Person]:
    return list(db.session.scalars(scoped(select(Person)).order_by(Person.name, Person.id)))


def _cases_of(person: Person) -> list[Case]:
    return list(db.session.scalars(
        scoped(select(Case)).where(Case.person_id == person.id).order_by(Case.id.desc())
    ))


def _summary(person: Person) -> dict:
    """What the guardian needs to know about one applicant."""
    today = local_today()
    access = current_access()
    cases = _cases_of(person)
    case = cases[0] if cases else None
    return {
        "person": person,
        "case": case,
        "status": status_sentence(case) if case else _(
            "No application has been opened yet. The township office will contact you."),
        "appointment": next_appointment(case, access, today) if case else None,
        "checklist": documents_checklist(case, access, today) if case else [],
        "can_upload": case is not None and case.state in OPEN_STATES,
    }


@bp.route("/")
@login_required
def home():
    """The guardian's applicants: status in plain words, next appointment, what is needed."""
    summaries = [_summary(p) for p in _my_people()]
    return render_template("guardian/home.html", summaries=summaries,
                           CASE_LABELS=CASE_LABELS)


@bp.route("/persons/<int:person_id>")
@login_required
def show_person(person_id: int):
    """One applicant of the guardian, with the status of each application."""
    person = get_scoped_or_404(Person, person_id)
    summary = _summary(person)
    return render_template("guardian/person.html", summary=summary, cases=_cases_of(person),
                           CASE_LABELS=CASE_LABELS)


def _upload_limit_bytes() -> int:
    cfg = current_app.config
    largest = max(int(cfg["EVIDENCE_MAX_VIDEO_MB"]), int(cfg["EVIDENCE_MAX_OTHER_MB"]))
    return (largest + 1) * 1024 * 1024


@bp.url_value_preprocessor
def _allow_large_uploads(endpoint, values):
    """A video from a phone may exceed the portal's general request limit; its own limit
    (checked while streaming into the store) applies instead, set before the CSRF check reads
    the form, and only once the request is known to come from a guardian of that very case:
    anyone else's body is held to the general limit before a byte of it is read."""
    if endpoint != "guardian.upload" or request.method != "POST":
        return
    if not current_user.is_authenticated:
        return
    access = access_for(current_user, None)
    if access is None or Role.GUARDIAN not in access.roles:
        return
    access.roles = {Role.GUARDIAN}
    case_id = (values or {}).get("case_id")
    visible = db.session.execute(
        scoped(select(Case.id).where(Case.id == case_id), access)).first()
    if visible is not None:
        request.max_content_length = _upload_limit_bytes()


@bp.route("/cases/<int:case_id>/upload", methods=["GET", "POST"])
@login_required
def upload(case_id: int):
    """Send a photo, video or medical record from the phone for one application."""
    case = get_scoped_or_404(Case, case_id)
    access = current_access()
    open_case = case.state in OPEN_STATES
    form = UploadForm(documents=[(c, DOCUMENT_LABELS[c]) for c in DOCUMENT_KINDS],
                      accept=accept_attribute(None, current_app.config))
    if open_case and form.validate_on_submit():
        chosen = form.chosen_file()
        try:
            upload_document(case=case, document=form.document.data, stream=chosen.stream,
                            filename=chosen.filename or "", claimed_type=chosen.mimetype,
                            actor=current_user, store=get_store(current_app),
                            config=current_app.config)
        except Refused as refusal:
            show_in_form(form, refusal, default_field="camera")
        else:
            flash(_("Received, thank you. The file was sent to the township office and the "
                    "doctor."), "success")
            return redirect(url_for("guardian.upload", case_id=case.id))
    return render_template(
        "guardian/upload.html", case=case, form=form, open_case=open_case,
        checklist=documents_checklist(case, access, local_today()),
        uploads=guardian_uploads(case, access), DOCUMENT_LABELS=DOCUMENT_LABELS,
    )
