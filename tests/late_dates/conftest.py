"""Fixtures of the late-entry tests: the case world and a movable clock."""
from tests.cases.helpers import world  # noqa: F401
from tests.walkins.conftest import clock  # noqa: F401
