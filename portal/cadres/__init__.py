"""Cadres' work lists (驻村干部、第一书记帮助建档立卡贫困人口办证): the township assigns poverty-
registered persons to a cadre, the cadre sees what is next for each and records contacts, the
township sees who has no cadre and which cadres did nothing for 14 days."""
from portal.tenancy import tenant_blueprint

bp = tenant_blueprint("cadres", __name__, "/cadres")

from portal.cadres import views  # noqa: F401
