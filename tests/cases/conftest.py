"""Fixtures of the case tests (shared with tests/review)."""
import pytest

from tests.cases.helpers import world  # noqa: F401


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english
