"""Assessment forms per category, the grade check, second review; the doctor's workspace."""
from portal.auth.roles import Role
from portal.tenancy import tenant_blueprint, workspace_blueprint

bp = tenant_blueprint("assessments", __name__, "/assessments")
workspace_bp = workspace_blueprint("workspace", __name__, "/doctor", Role.DOCTOR)

from portal.assessments import views  # noqa: F401
