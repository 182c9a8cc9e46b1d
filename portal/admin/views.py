"""User management for the city administrator: accounts, passwords and role memberships."""
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.admin import bp
from portal.admin.forms import (
    PASSWORD_HELP,
    ConfirmForm,
    CreateUserForm,
    MembershipForm,
    ProfileForm,
    ResetPasswordForm,
    UserFilterForm,
)
from portal.auth.models import Membership, User
from portal.auth.roles import Permission, Role
from portal.auth.services import (
    add_membership,
    create_user,
    generate_password,
    is_locked,
    remove_membership,
    set_active,
    set_password,
    unlock_user,
    update_profile,
)
from portal.auth.sessions import start_session
from portal.extensions import db
from portal.models_base import utcnow
from portal.pages import link_args, paginate
from portal.reference.models import Township, Village
from portal.refusals import Refused, show_in_form
from portal.tenancy import require
from portal.uow import discard

PER_PAGE = 50

def _townships() -> list[Township]:
    return list(db.session.scalars(
        select(Township).options(selectinload(Township.villages)).order_by(Township.position)
    ))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _show_password_once(user: User, password: str, reason: str):
    """Render (not redirect) so the password never travels in a cookie or a URL."""
    return render_template("admin/password_once.html", user=user, password=password,
                           reason=reason)


@bp.route("/users")
@login_required
@require(Permission.MANAGE_USERS)
def list_users():
    """All accounts with roles, township, active and locked state; searchable."""
    townships = _townships()
    form = UserFilterForm(townships, formdata=request.args)
    form.validate()
    stmt = select(User).options(
        selectinload(User.memberships).selectinload(Membership.township),
        selectinload(User.memberships).selectinload(Membership.villages),
    )
    if form.q.data and not form.q.errors:
        like = f"%{form.q.data.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.username).like(like),
                              func.lower(User.display_name).like(like)))
    if form.role.data and not form.role.errors:
        stmt = stmt.where(User.memberships.any(Membership.role == form.role.data))
    if form.township.data and not form.township.errors:
        stmt = stmt.where(User.memberships.any(
            Membership.township.has(Township.code == form.township.data)))
    now = utcnow()
    status = form.status.data if not form.status.errors else ""
    if status == "active":
        stmt = stmt.where(User.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.active.is_(False))
    elif status == "locked":
        stmt = stmt.where(User.locked_until > now)
    page = paginate(stmt.order_by(User.username), PER_PAGE)
    return render_template("admin/users.html", users=page.items, form=form, page=page,
                           args=link_args(), is_locked=is_locked)


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
@require(Permission.MANAGE_USERS)
def new_user():
    """Create an account; the initial password is typed or generated and shown once."""
    form = CreateUserForm()
    if form.validate_on_submit():
        password = form.password.data or generate_password()
        try:
            user = create_user(form.username.data, password,
                               display_name=form.display_name.data or "", actor=current_user,
                               must_change_password=True)
        except Refused as refusal:
            show_in_form(form, refusal, default_field="password")
        else:
            if form.password.data:
                flash(_("Account %(name)s created. Now give it a role.", name=user.username),
                      "success")
                return redirect(url_for("admin.show_user", user_id=user.id))
            return _show_password_once(user, password, "created")
    return render_template("admin/user_new.html", form=form, password_help=PASSWORD_HELP)


@bp.route("/users/<int:user_id>")
@login_required
@require(Permission.MANAGE_USERS)
def show_user(user_id: int):
    """One account: its details, roles and the actions on it."""
    user = _user_or_404(user_id)
    return _render_user(user)


def _render_user(user: User, profile_form=None, password_form=None, status=200):
    return render_template(
        "admin/user.html",
        user=user,
        locked=is_locked(user),
        profile_form=profile_form or ProfileForm(display_name=user.display_name),
        password_form=password_form or ResetPasswordForm(),
        confirm_form=ConfirmForm(),
        password_help=PASSWORD_HELP,
    ), status


@bp.route("/users/<int:user_id>/profile", methods=["POST"])
@login_required
@require(Permission.MANAGE_USERS)
def edit_profile(user_id: int):
    """Change the display name."""
    user = _user_or_404(user_id)
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            update_profile(user, form.display_name.data, actor=current_user)
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("The display name is saved."), "success")
            return redirect(url_for("admin.show_user", user_id=user.id))
    return _render_user(user, profile_form=form, status=400)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@login_required
@require(Permission.MANAGE_USERS)
def reset_password(user_id: int):
    """Set a new password (typed or generated, shown once); the user's sessions end."""
    user = _user_or_404(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        password = form.new_password.data or generate_password()
        try:
            set_password(user, password, actor=current_user,
                         must_change_password=user.id != current_user.id)
        except Refused as refusal:
            show_in_form(form, refusal, default_field="new_password")
        else:
            if user.id == current_user.id:
                # keep the administrator signed in with the new version
                start_session(user, auth_at=session.get("auth_at"))
            if form.new_password.data:
                flash(_("The new password is set. Other sessions of this user have ended."),
                      "success")
                return redirect(url_for("admin.show_user", user_id=user.id))
            return _show_password_once(user, password, "reset")
    return _render_user(user, password_form=form, status=400)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@login_required
@require(Permission.MANAGE_USERS)
def toggle_active(user_id: int):
    """Switch the account off (ending its sessions) or on again."""
    user = _user_or_404(user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        set_active(user, not user.active, actor=current_user)
    except Refused as refusal:
        discard()
        flash(refusal.message, "danger")
    else:
        flash(_("The account is on.") if user.active else _("The account is switched off."),
              "success")
    return redirect(url_for("admin.show_user", user_id=user.id))


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@login_required
@require(Permission.MANAGE_USERS)
def unlock(user_id: int):
    """Lift the lockout after too many failed logins."""
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    unlock_user(user, actor=current_user)
    flash(_("The account is unlocked."), "success")
    return redirect(url_for("admin.show_user", user_id=user.id))


@bp.route("/users/<int:user_id>/memberships/new", methods=["GET", "POST"])
@login_required
@require(Permission.MANAGE_USERS)
def new_membership(user_id: int):
    """Give the user a role, in a township for township roles, in villages for liaisons."""
    user = _user_or_404(user_id)
    townships = _townships()
    form = MembershipForm(townships)
    if form.validate_on_submit():
        township = next((t for t in townships if t.code == form.township.data), None)
        villages = []
        if form.villages.data:
            villages = list(db.session.scalars(
                select(Village).where(Village.id.in_(form.villages.data)).order_by(Village.id)))
        try:
            add_membership(user, Role(form.role.data), township, villages, actor=current_user)
        except Refused as refusal:
            show_in_form(form, refusal, default_field="role")
        else:
            flash(_("The role is added."), "success")
            return redirect(url_for("admin.show_user", user_id=user.id))
    return render_template("admin/membership_new.html", user=user, form=form)


@bp.route("/memberships/<int:membership_id>/delete", methods=["POST"])
@login_required
@require(Permission.MANAGE_USERS)
def delete_membership(membership_id: int):
    """Take one role away from a user."""
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        abort(404)
    user_id = membership.user_id
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        remove_membership(membership, actor=current_user)
    except Refused as refusal:
        discard()
        flash(refusal.message, "danger")
    else:
        flash(_("The role is removed."), "success")
    return redirect(url_for("admin.show_user", user_id=user_id))
