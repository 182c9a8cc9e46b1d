"""`/readyz` (can this process serve: database, Redis, evidence store, a media node) and
`/metrics` (Prometheus, behind a token)."""
from __future__ import annotations

import hmac

from flask import Response, abort, current_app, request
from sqlalchemy import text

from portal.extensions import db, limiter
from portal.observability import bp


def _database() -> None:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()


def _redis() -> None:
    uri = current_app.config.get("RATELIMIT_STORAGE_URI", "")
    if not uri.startswith("redis"):
        return
    import redis

    redis.Redis.from_url(uri, socket_timeout=2).ping()


def _store() -> None:
    from portal.evidence.services import get_store

    next(iter(get_store(current_app).iter_keys("readyz/")), None)


def _media() -> None:
    """At least one media node of the pool answers (none configured or registered: no check).
    Read-only: the pool's rows are not written here."""
    from portal.media_nodes.services import reachable_node

    urls = _pool_urls()
    if urls and reachable_node(urls) is None:
        raise OSError("no media node answers")


def _pool_urls() -> list[str]:
    from portal.media_nodes.services import pool_urls

    return pool_urls(current_app.config)


CHECKS = {"database": _database, "redis": _redis, "evidence_store": _store, "media": _media}


@bp.route("/readyz")
@limiter.exempt
def readyz():
    """Ready to serve: every dependency answers (503 naming the ones that do not)."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            current_app.logger.warning("readyz: %s failed: %s", name, type(error).__name__)
            results[name] = "unavailable"
    ready = all(value == "ok" for value in results.values())
    return {"status": "ok" if ready else "unavailable", "checks": results}, 200 if ready else 503


@bp.route("/metrics")
@limiter.exempt
def metrics():
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from portal.observability.metrics import registry_for

    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(token, given):
        abort(404)
    return Response(generate_latest(registry_for(current_app)), mimetype=CONTENT_TYPE_LATEST)
