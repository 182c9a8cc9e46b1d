"""Fixtures of the review tests (the case tests' world)."""
import pytest

from tests.cases.helpers import world  # noqa: F401


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english
