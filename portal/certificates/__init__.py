"""Certificates from print to hand: print and dispatch batches (city), handover (township),
public verification by QR."""
from flask import Blueprint

from portal.tenancy import city_blueprint, tenant_blueprint

bp = city_blueprint("certificates", __name__, "/certificates")
township_bp = tenant_blueprint("handover", __name__, "/certificates")
verify_bp = Blueprint("verify", __name__, url_prefix="/v")

from portal.certificates import pages, views  # noqa: F401
