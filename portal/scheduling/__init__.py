"""Concentrated assessment days and home-visit bookings of a township."""
from portal.tenancy import tenant_blueprint

bp = tenant_blueprint("scheduling", __name__, "/schedule")

from portal.scheduling import views  # noqa: F401
