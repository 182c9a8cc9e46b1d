"""The county's public information page (`/info`, no login): what the certificate is for, who
may apply and how, this week's and the campaign's concentrated days, the hotline; its A4
poster for village notice boards; and its editor for the city administrator."""
from flask import Blueprint

from portal.tenancy import city_blueprint

bp = Blueprint("info", __name__, url_prefix="/info")
admin_bp = city_blueprint("info_admin", __name__, "/info")

from portal.info import views  # noqa: F401
