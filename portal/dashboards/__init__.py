"""Campaign dashboards: holding rate against the targets, progress, overdue work."""
from portal.tenancy import city_blueprint, tenant_blueprint

bp = city_blueprint("dashboards", __name__, "/dashboard")
township_bp = tenant_blueprint("township_dashboard", __name__, "/dashboard")

from portal.dashboards import list_jobs, refresh_jobs, views  # noqa: F401
