"""Excel in and out for the two roster attachments: templates, import with preview, export."""
from portal.tenancy import city_blueprint, tenant_blueprint

bp = tenant_blueprint("imports", __name__, "/imports")
city_bp = city_blueprint("city_exports", __name__, "/exports")

from portal.imports import views  # noqa: F401
