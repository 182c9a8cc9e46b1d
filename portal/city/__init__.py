"""City-level pages: all townships at a glance, roster report status."""
from portal.tenancy import city_blueprint

bp = city_blueprint("city", __name__)

from portal.city import figures, views  # noqa: F401
