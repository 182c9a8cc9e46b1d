"""Running as a service: request ids, JSON logs, readiness, metrics."""
from __future__ import annotations

import json
import logging
import socket

import pytest

from portal.observability import views
from portal.observability.logging_json import JsonFormatter
from portal.observability.request_id import RequestIdFilter


def test_every_answer_carries_a_request_id(client):
    made = client.get("/healthz").headers["X-Request-Id"]
    assert len(made) == 32
    assert client.get("/healthz").headers["X-Request-Id"] != made
    given = client.get("/healthz", headers={"X-Request-Id": "nginx-abc12345"})
    assert given.headers["X-Request-Id"] == "nginx-abc12345"
    odd = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert odd.headers["X-Request-Id"] != "bad id with spaces"


def test_json_log_lines_carry_the_request_id(app):
    with app.test_request_context("/x", headers={"X-Request-Id": "req-12345678"}):
        app.preprocess_request()
        record = logging.LogRecord("portal", logging.WARNING, __file__, 1,
                                   "imported %s rows", (12,), None)
        RequestIdFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-12345678" and line["message"] == "imported 12 rows"
    assert line["level"] == "WARNING"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def media_url(app):
    saved = app.config.get("MEDIA_SERVICE_URL")
    yield lambda url: app.config.update(MEDIA_SERVICE_URL=url)
    app.config["MEDIA_SERVICE_URL"] = saved


def test_readiness_names_what_is_down(client, media_url, monkeypatch):
    monkeypatch.setattr(views, "CHECKS", dict(views.CHECKS, media=views._media))
    media_url(f"http://127.0.0.1:{_closed_port()}")
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.get_json()["checks"] == {"database": "ok", "redis": "ok",
                                         "evidence_store": "ok", "media": "unavailable"}
    media_url("")
    assert client.get("/readyz").status_code == 200


def test_metrics_need_the_token_and_count_requests(client, app):
    app.config["METRICS_TOKEN"] = "scrape-token-123"
    try:
        client.get("/healthz")
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        page = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-123"})
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert 'portal_requests_total{endpoint="public.healthz",method="GET",status="200"}' in text
        assert "portal_outbox_backlog" in text and "portal_request_seconds_bucket" in text
    finally:
        app.config["METRICS_TOKEN"] = None
