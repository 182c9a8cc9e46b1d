"""The register of current certificate holders: persons, not a number, behind the holding rate."""
from portal.tenancy import city_blueprint, tenant_blueprint

bp = tenant_blueprint("register", __name__, "/holders")
city_bp = city_blueprint("city_register", __name__, "/holders")

from portal.register import views  # noqa: F401
