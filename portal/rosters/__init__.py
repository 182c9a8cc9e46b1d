"""People and the two township rosters."""
from portal.tenancy import tenant_blueprint

bp = tenant_blueprint("rosters", __name__)

from portal.rosters import views  # noqa: F401
