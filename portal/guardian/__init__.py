"""The guardian portal: invite links, a guardian's own applicants, uploads from a phone.

Two blueprints: `guardian` (/g, the guardian's own pages and the invite link itself) and
`guardian_invites` (/t/<code>/guardian-invites, where township staff and the case's doctor
make and revoke invites). Both are registered in the factory's one list of blueprints.
"""
from flask import Blueprint, abort, g, request, session
from flask_login import current_user

from portal.auth.roles import Role
from portal.tenancy import access_for, tenant_blueprint

bp = Blueprint("guardian", __name__, url_prefix="/g")
invites_bp = tenant_blueprint("guardian_invites", __name__, "/guardian-invites")

# Pages reached by the invite link itself: the token is the credential, no login yet.
TOKEN_ENDPOINTS = frozenset({"guardian.open_invite"})


@bp.before_request
def _guardian_workspace():
    """Guardians only (others get 404); `g.access` is their cross-township workspace."""
    if request.endpoint in TOKEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        from portal.extensions import login_manager

        return login_manager.unauthorized()
    access = access_for(current_user, None)
    if access is None or Role.GUARDIAN not in access.roles:
        abort(404)
    access.roles = {Role.GUARDIAN}
    g.access = access
    return None


@bp.after_app_request
def _end_with_the_browser(response):
    """A session opened with a one-time invite is a browser session: no expiry date is sent,
    so the cookie is gone when the browser closes (the idle timeout still applies)."""
    if session.get("guardian_session_only"):
        session.permanent = False
    return response


from portal.guardian import views  # noqa: F401
