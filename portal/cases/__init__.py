"""Cases of a township: one application each, with its timeline and workflow."""
from portal.tenancy import tenant_blueprint

bp = tenant_blueprint("cases", __name__, "/cases")

from portal.cases import views  # noqa: F401
