"""Evidence of a case (photos, videos, medical records, recordings, snapshots) in the store."""
from portal.tenancy import tenant_blueprint

bp = tenant_blueprint("evidence", __name__, "/evidence")

from portal.evidence import views  # noqa: F401
