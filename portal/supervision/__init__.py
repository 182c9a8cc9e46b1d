"""Supervision and accountability (督查问效): notices to townships and units from the overdue
lists, their answers and escalation, accountability records, the monthly report."""
from portal.tenancy import city_blueprint, tenant_blueprint

bp = city_blueprint("supervision", __name__, "/supervision")
township_bp = tenant_blueprint("supervision_township", __name__, "/supervision")

from portal.supervision import township_views, views  # noqa: F401
