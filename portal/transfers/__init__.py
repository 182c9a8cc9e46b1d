"""Transfers (迁移) of a person between two townships of the county, and moves out of it:
the sending township requests, the receiving township accepts or declines; on acceptance the
person, their certificate and their history belong to the receiving township."""
from portal.tenancy import tenant_blueprint

bp = tenant_blueprint("transfers", __name__, "/transfers")

from portal.transfers import views  # noqa: F401
