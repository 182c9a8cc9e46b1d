"""A certificate's life after handover: change of the holder's details, replacement of a lost
or damaged card, cancellation (death, own request, no longer qualifying, fraud), the
civil-affairs list of deceased persons, and the year's bar on a new application."""
from portal.tenancy import city_blueprint, tenant_blueprint

bp = tenant_blueprint("lifecycle", __name__, "/certificate-life")
city_bp = city_blueprint("city_lifecycle", __name__, "/certificate-life")

from portal.lifecycle import city_views, request_views, views  # noqa: F401
