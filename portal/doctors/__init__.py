"""The registry of certified assessment doctors, kept by the health coordinator."""
from portal.tenancy import city_blueprint

bp = city_blueprint("doctors", __name__, "/doctors")

from portal.doctors import guards, views  # noqa: F401
