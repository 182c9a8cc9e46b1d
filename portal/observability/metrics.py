"""Prometheus metrics with `prometheus-client`.

Per request: `portal_requests_total{endpoint,method,status}` and
`portal_request_seconds{endpoint}`. Read from the database at each scrape (one query each):
`portal_outbox_backlog`, `portal_outbox_failed`, `portal_recordings_total`,
`portal_jobs{state}` and `portal_media_sessions{node}` when those parts exist.

Under gunicorn each worker counts for itself: set PROMETHEUS_MULTIPROC_DIR to an empty
folder (cleared at start) and the scrape adds the workers up (prometheus-client's
multiprocess mode). `/metrics` answers only with `Authorization: Bearer $METRICS_TOKEN`.
"""
from __future__ import annotations

import os
import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter("portal_requests_total", "Requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram("portal_request_seconds", "Time to answer a request", ["endpoint"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


class DatabaseFigures:
    """Gauges read from the database when Prometheus scrapes (they are shared state, not
    per-process counts)."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        from sqlalchemy import func, select

        from portal.extensions import db
        from portal.notices.models import Notice

        with self.app.app_context():
            try:
                backlog = db.session.scalar(select(func.count(Notice.id)).where(
                    Notice.state.in_(("pending", "sending"))))
                failed = db.session.scalar(select(func.count(Notice.id)).where(
                    Notice.state == "failed"))
                recordings = _count_recordings()
                families = [("portal_outbox_backlog", "Messages waiting to be sent", backlog),
                            ("portal_outbox_failed", "Messages that could not be sent",
                             failed),
                            ("portal_recordings_total", "Video recordings kept", recordings)]
                for name, text, value in families:
                    gauge = GaugeMetricFamily(name, text)
                    gauge.add_metric([], value or 0)
                    yield gauge
                yield from _extra_figures()
            finally:
                db.session.rollback()
                db.session.remove()


def _count_recordings() -> int:
    from sqlalchemy import func, select

    from portal.evidence.models import Evidence
    from portal.extensions import db

    return db.session.scalar(select(func.count(Evidence.id)).where(
        Evidence.kind == "recording")) or 0


# Other parts add gauge families read at scrape time (job queue, media nodes).
EXTRA_FIGURES: list = []


def _extra_figures():
    for figures in EXTRA_FIGURES:
        yield from figures()


class _ProcessFigures:
    """This process's own counters (the default registry), without the database gauges."""

    def collect(self):
        from prometheus_client import REGISTRY

        yield from REGISTRY.collect()


def registry_for(app: Flask) -> CollectorRegistry:
    """A registry for one scrape: the request counters (this process's, or every worker's
    in multiprocess mode) and the database gauges of `app`.

    Made fresh for each scrape and never adding to the default registry: registering the
    database gauges there once per app made a second app (or the second scrape of a
    multiprocess worker, whose registry is new each time) lose them or fail as duplicates."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessFigures())
    figures = app.extensions.get("metrics_db")
    if figures is None:
        figures = app.extensions["metrics_db"] = DatabaseFigures(app)
    registry.register(figures)
    return registry


def register(app: Flask) -> None:
    @app.before_request
    def _start_clock():
        g.request_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.get("request_started")
        endpoint = request.endpoint or "unmatched"
        if started is not None and endpoint != "observability.metrics":
            REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response
