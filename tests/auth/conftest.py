"""These tests assert interface messages in English."""
import pytest


@pytest.fixture(autouse=True)
def _english(english):
    return english
