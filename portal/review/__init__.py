"""City review: public-notice results awaiting approval, appeals, overdue work across townships."""
from portal.tenancy import city_blueprint

bp = city_blueprint("review", __name__, "/review")

from portal.review import views  # noqa: F401
