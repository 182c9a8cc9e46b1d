"""Petitions (信访): recorded by staff, filed by a guardian or sent from the public form; accepted,
extended, answered and reviewed within the time limits of the 《信访工作条例》.

Four blueprints, all in the factory's one list: `petitions` (/t/<code>/petitions, a township's
office), `city_petitions` (/city/petitions, the city DPF, the health bureau and the supervisors;
both share their views), `guardian_petitions` (/g/petitions, a guardian's own) and
`public_petitions` (/petition, the public form, no login).
"""
from flask import Blueprint

from portal.auth.roles import Role
from portal.tenancy import city_blueprint, tenant_blueprint, workspace_blueprint

bp = tenant_blueprint("petitions", __name__, "/petitions")
city_bp = city_blueprint("city_petitions", __name__, "/petitions")
guardian_bp = workspace_blueprint("guardian_petitions", __name__, "/g/petitions", Role.GUARDIAN)
public_bp = Blueprint("public_petitions", __name__, url_prefix="/petition")

from portal.petitions import guardian_views, page_parts, public_views, views  # noqa: F401
