"""The pool's gauges, read from the database at each scrape (portal/observability/metrics.py):
`portal_media_sessions{node}` (live sessions), `portal_media_node_up{node}` (1: healthy) and
`portal_media_node_drained{node}`."""
from __future__ import annotations

from flask import current_app
from prometheus_client.core import GaugeMetricFamily


def media_figures():
    from portal.media_nodes.services import node_rows

    sessions = GaugeMetricFamily("portal_media_sessions", "Live video sessions per media node",
                                 labels=["node"])
    up = GaugeMetricFamily("portal_media_node_up",
                           "1 when the media node is healthy (drained or not)", labels=["node"])
    drained = GaugeMetricFamily("portal_media_node_drained",
                                "1 when the media node takes no new session", labels=["node"])
    for row in node_rows(current_app.config):
        if row["status"] == "unconfigured":
            continue
        sessions.add_metric([row["name"]], row["sessions"])
        up.add_metric([row["name"]], 1 if row["status"] in ("up", "drained") else 0)
        drained.add_metric([row["name"]], 1 if row["drained"] else 0)
    yield from (sessions, up, drained)
