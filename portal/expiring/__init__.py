"""Certificates expiring soon: per township, the holders whose certificate expires within a
horizon (a one-click renewal case each), the printable call list of those due their 90-day
notice, the count on the dashboards, and the expired holders not renewed as the next
campaign's Attachment 1."""
from portal.tenancy import tenant_blueprint

bp = tenant_blueprint("expiring", __name__, "/expiring")

from portal.expiring import dashboard, views  # noqa: F401
