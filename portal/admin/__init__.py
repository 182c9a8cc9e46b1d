"""City administration: users and their memberships."""
from portal.tenancy import city_blueprint

bp = city_blueprint("admin", __name__, "/admin")

from portal.admin import views  # noqa: F401
