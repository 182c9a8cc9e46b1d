"""Per-test setup: a fresh login rate limit, and English pages (messages are asserted)."""
import pytest

from portal.extensions import limiter


@pytest.fixture(autouse=True)
def _fresh_login_limit(app):
    # The limit counts per address across the whole session; each test starts fresh.
    with app.app_context():
        limiter.reset()


@pytest.fixture(autouse=True)
def _english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
