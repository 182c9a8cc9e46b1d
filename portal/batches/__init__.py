"""Organised batches (分批鉴定): a township or an assistance unit takes a batch of persons of one
category to a designated hospital on a day; the assistance units' registry."""
from portal.tenancy import city_blueprint, tenant_blueprint

bp = tenant_blueprint("batches", __name__, "/batches")
city_bp = city_blueprint("city_batches", __name__, "/batches")

from portal.batches import city_views, views  # noqa: F401
