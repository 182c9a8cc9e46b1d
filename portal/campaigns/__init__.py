"""Campaigns as data: the city's campaign editor, copying to next year, one active campaign."""
from portal.tenancy import city_blueprint

bp = city_blueprint("campaigns", __name__, "/campaigns")

from portal.campaigns import views  # noqa: F401
