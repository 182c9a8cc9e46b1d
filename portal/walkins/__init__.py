"""Year-round applications (常态化): a walk-in at the township, or an assessment booked
directly at a designated hospital, inside or outside any campaign, through the case workflow."""
from portal.tenancy import tenant_blueprint

bp = tenant_blueprint("walkins", __name__, "/walk-ins")

from portal.walkins import views  # noqa: F401
