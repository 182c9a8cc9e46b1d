"""Township resolution from the URL and the scoping helpers every tenant query goes through.

A tenant page lives under /t/<township_code>/. The URL preprocessor resolves the code into
`g.township` and the user's access there (`g.access`); an unknown township, or one where the
user has no role, is a 404 so that its existence is not revealed. Views never query tenant data
directly: `scoped(select(Model))` and `get_scoped_or_404(Model, id)` add the township filter and
then the narrower filter of the user's role (village, assignment).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from flask import Blueprint, abort, g
from flask_login import current_user
from sqlalchemy import Select, select

from portal.auth.roles import CITY_ROLES, ROLE_PERMISSIONS, Permission, Role
from portal.extensions import db
from portal.reference.models import Township
from portal.rls import across_townships, narrow_to_township

# Roles that reach people only through explicit links (guardianship, assignment).
ASSIGNMENT_ROLES = frozenset({Role.DOCTOR, Role.GUARDIAN, Role.POVERTY_CADRE})


@dataclass
class Access:
    """What the current user may see in one township (or city-wide when township is None)."""

    user_id: int
    township: Township | None
    roles: set[Role] = field(default_factory=set)
    village_ids: set[int] = field(default_factory=set)

    @property
    def city_wide(self) -> bool:
        return bool(self.roles & CITY_ROLES)

    @property
    def whole_township(self) -> bool:
        return self.city_wide or Role.TOWNSHIP_STAFF in self.roles

    @property
    def permissions(self) -> set[Permission]:
        perms: set[Permission] = set()
        for role in self.roles:
            perms |= ROLE_PERMISSIONS[role]
        return perms

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def access_for(user, township: Township | None) -> Access | None:
    """The user's access in `township`, or None when they have no role there."""
    if not getattr(user, "is_authenticated", False):
        return None
    access = Access(user_id=user.id, township=township)
    for m in user.memberships:
        role = Role(m.role)
        if role in CITY_ROLES:
            access.roles.add(role)
        elif township is None and m.township_id is None and role in ASSIGNMENT_ROLES:
            access.roles.add(role)  # cross-township workspace: assignments only
        elif township is not None and m.township_id == township.id:
            access.roles.add(role)
            if role == Role.VILLAGE_LIAISON:
                access.village_ids |= {v.id for v in m.villages}
        elif (township is not None and m.township_id is None and role in ASSIGNMENT_ROLES
              and _has_assignment_in(user.id, role, township.id)):
            access.roles.add(role)
    return access if access.roles else None


def _has_assignment_in(user_id: int, role: Role, township_id: int) -> bool:
    """Whether an assignment role links the user to anybody in the township: the Person
    policy's rule for that role, so that the link is written once."""
    from portal.access import policy_for
    from portal.rosters.models import Person

    rule = policy_for(Person).rules.get(role)
    if rule is None or isinstance(rule, str):
        return False
    linked = select(Person.id).where(Person.township_id == township_id,
                                     rule(Access(user_id=user_id, township=None)))
    return db.session.execute(linked.limit(1)).first() is not None


def refuse(what: str):
    """404 for something the user may not see (recorded as a refusal by the error page)."""
    g.refused = what
    abort(404)


def current_access() -> Access:
    access = g.get("access")
    if access is None:
        abort(404)
    return access


def _entity_of(stmt: Select):
    return stmt.column_descriptions[0]["entity"]


def scoped(stmt: Select, access: Access | None = None) -> Select:
    """Restrict a SELECT to what `access` (default: g.access) may see, by the model's policy in
    `portal.access`; a model without a policy raises `NoAccessPolicy` (nothing is returned)."""
    from portal.access import policy_for

    access = access or current_access()
    model = _entity_of(stmt)
    policy = policy_for(model)
    if policy.tenant and access.township is not None:
        stmt = stmt.where(model.township_id == access.township.id)
    return stmt.where(policy.condition(access))


def get_scoped_or_404(model, object_id, access: Access | None = None):
    """Load one tenant object the user may see, or 404 (foreign and missing look alike)."""
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        abort(404)
    stmt = scoped(select(model).where(model.id == object_id), access)
    obj = db.session.execute(stmt).scalar_one_or_none()
    if obj is None:
        connection = db.session.connection()
        with across_townships(connection):
            exists = connection.execute(select(model.id).where(model.id == object_id)).first()
        if exists is not None:
            refuse("object")
        abort(404)
    return obj


def require(permission: Permission):
    """View decorator: 403 unless the user's access here grants `permission`."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_access().can(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def tenant_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint mounted under /t/<township_code>/ with the township resolved and checked."""
    bp = Blueprint(name, import_name, url_prefix=f"/t/<township_code>{url_prefix}")

    @bp.url_value_preprocessor
    def _resolve_township(endpoint, values):
        code = (values or {}).pop("township_code", None)
        g.township_code = code
        if not current_user.is_authenticated:
            return  # login_required on the view redirects to the login page
        township = db.session.execute(
            select(Township).where(Township.code == code)
        ).scalar_one_or_none()
        if township is None:
            refuse("township")
        access = access_for(current_user, township)
        if access is None:
            refuse("township")
        g.township = township
        g.access = access
        narrow_to_township(db.session, township.id)

    @bp.url_defaults
    def _add_township(endpoint, values):
        if "township_code" not in values and g.get("township") is not None:
            values["township_code"] = g.township.code

    @bp.before_request
    def _login_first():
        if not current_user.is_authenticated:
            from portal.extensions import login_manager

            return login_manager.unauthorized()
        return None

    return bp


def city_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint under /city/ for city roles only (others get 404)."""
    bp = Blueprint(name, import_name, url_prefix=f"/city{url_prefix}")

    @bp.before_request
    def _city_only():
        if not current_user.is_authenticated:
            from portal.extensions import login_manager

            return login_manager.unauthorized()
        access = access_for(current_user, None)
        if access is None or not access.city_wide:
            refuse("city")
        g.access = access
        return None

    return bp


def workspace_blueprint(name: str, import_name: str, url_prefix: str, role: Role) -> Blueprint:
    """A cross-township workspace of an assignment role (a doctor's cases, a guardian's people).

    Queries still go through `scoped()`: with no township, it keeps only the user's assignments.
    """
    bp = Blueprint(name, import_name, url_prefix=url_prefix)

    @bp.before_request
    def _assignment_role_only():
        if not current_user.is_authenticated:
            from portal.extensions import login_manager

            return login_manager.unauthorized()
        access = access_for(current_user, None)
        if access is None or role not in access.roles:
            refuse("workspace")
        access.roles = {role}
        g.access = access
        return None

    return bp
