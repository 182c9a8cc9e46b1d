"""Running as a service: a request id carried to logs, jobs and the media service, JSON logs,
Prometheus metrics and the readiness probe (docs/deploy.md)."""
from flask import Blueprint

bp = Blueprint("observability", __name__)


def register(app) -> None:
    from portal.observability import logging_json, metrics, request_id

    request_id.register(app)
    logging_json.register(app)
    metrics.register(app)


from portal.observability import views  # noqa: F401
