"""The pool: known nodes, their health, placement of a new session, drain, checks.

- A node is **known** from the configuration (`MEDIA_NODES`, or `MEDIA_SERVICE_URL` alone: the
  single-node setup) or from its heartbeats (`record_heartbeat`). Each has a row in
  `media_nodes` (a configured node's row is made when the pool is first used).
- A node is **healthy** when it is not marked down and, for a node known by heartbeat, its
  last heartbeat is at most `MEDIA_NODE_STALE_SECONDS` old. A configured node is marked down by
  a failed check (`check_nodes`) or a failed offer, and back up by a good check or heartbeat.
- A new session is **placed** when its first offer arrives: on the healthy, undrained node with
  the fewest live sessions (ties: fewer reported rooms, then the older row). An unreachable
  node is marked down and the next one is tried; the session stays pinned to the node that
  answered (`VideoSession.media_node_url`).
- A **drained** node takes no new session; the ones running on it finish.
- A node found dead interrupts its live sessions (`video.interrupted`): the case stays as it
  was, and what the node recorded stays in its spool until the node is back, when
  `check_nodes` collects it (`recover_session`) into the case's evidence.

Services change state and never commit: the request or CLI command is the unit of work.
"""
from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.audit.services import record_event
from portal.extensions import db
from portal.media_nodes.models import MediaNode
from portal.models_base import utcnow
from portal.refusals import Refused
from portal.rls import across_townships
from portal.video.media_client import MediaClient, MediaUnavailable, client_for
from portal.video.models import ACTIVE_STATES, VideoSession

log = logging.getLogger(__name__)
HEALTH_TIMEOUT = 2.0


def _aware(moment: datetime | None) -> datetime | None:
    """Datetimes read back from SQLite are naive UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _name_of(url: str) -> str:
    return urlsplit(url).netloc or url


def configured_nodes(config: Mapping) -> dict[str, str]:
    """name -> url of the nodes the configuration names (MEDIA_NODES, else MEDIA_SERVICE_URL)."""
    found: dict[str, str] = {}
    for item in str(config.get("MEDIA_NODES") or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, _, url = item.partition("=") if "=" in item.split("://")[0] else ("", "", item)
        url = url.strip().rstrip("/")
        found[name.strip() or _name_of(url)] = url
    if not found and config.get("MEDIA_SERVICE_URL"):
        url = str(config["MEDIA_SERVICE_URL"]).rstrip("/")
        found[_name_of(url)] = url
    return found


def _nodes() -> list[MediaNode]:
    return list(db.session.execute(select(MediaNode).order_by(MediaNode.id)).scalars())


def sync_configured(config: Mapping) -> None:
    """A row for every configured node not yet known (two requests racing: one wins)."""
    known = {node.url for node in _nodes()}
    names = {node.name for node in _nodes()}
    for name, url in configured_nodes(config).items():
        if url in known:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(MediaNode(name=name if name not in names else url[:80], url=url,
                                         source="config", drained=False, rooms=0,
                                         last_error=""))
        except IntegrityError:
            pass  # another request added it meanwhile


def is_healthy(node: MediaNode, config: Mapping, now: datetime) -> bool:
    """Healthy: not marked down, and (if it registered itself) heard from recently enough."""
    if node.down_since is not None:
        return False
    if node.source == "config":
        return node.url in configured_nodes(config).values()
    stale = timedelta(seconds=int(config.get("MEDIA_NODE_STALE_SECONDS") or 30))
    seen = _aware(node.last_seen_at)
    return seen is not None and now - seen <= stale


def live_sessions() -> dict[str, int]:
    """Live sessions per node address: placed (media started), not ended, still active.

    The pool serves every township: this count deliberately reads across them (a doctor's
    video page narrows the database to its township)."""
    query = (select(VideoSession.media_node_url, func.count(VideoSession.id))
             .where(VideoSession.state.in_(ACTIVE_STATES),
                    VideoSession.media_started_at.is_not(None),
                    VideoSession.ended_at.is_(None))
             .group_by(VideoSession.media_node_url))
    with across_townships(db.session.connection()):
        return {url: count for url, count in db.session.execute(query)}


def candidates(config: Mapping, now: datetime | None = None) -> list[MediaNode]:
    """Nodes that may take a new session, the least loaded first; then, as a last resort,
    configured nodes marked down (nothing else brings a configured node back between two
    checks: with one node, a passing failure must not stop every later session)."""
    now = now or utcnow()
    sync_configured(config)
    loads = live_sessions()
    configured = set(configured_nodes(config).values())
    nodes = [n for n in _nodes() if not n.drained]
    healthy = [n for n in nodes if is_healthy(n, config, now)]
    last_resort = [n for n in nodes if n not in healthy and n.source == "config"
                   and n.url in configured]

    def load(node: MediaNode) -> tuple:
        return (loads.get(node.url, 0), node.rooms, node.id)

    return sorted(healthy, key=load) + sorted(last_resort, key=load)


def mark_down(node: MediaNode, reason: str, now: datetime | None = None) -> bool:
    """Out of the pool until it answers again; True when it was up until now."""
    node.last_error = reason[:200]
    if node.down_since is not None:
        return False
    node.down_since = now or utcnow()
    db.session.flush()
    record_event("media.node_down", obj=node, details={"node": node.name,
                                                       "reason": reason[:200]})
    return True


def _mark_up(node: MediaNode, rooms: int | None, now: datetime) -> bool:
    """Heard from: back in the pool (True when it was down)."""
    came_back = node.down_since is not None
    node.last_seen_at = now
    node.down_since = None
    node.last_error = ""
    if rooms is not None:
        node.rooms = max(0, int(rooms))
    if came_back:
        db.session.flush()
        record_event("media.node_up", obj=node, details={"node": node.name})
    return came_back


def place_session(session: VideoSession, attempt: Callable[[MediaClient], dict],
                  config: Mapping) -> tuple[dict, MediaClient]:
    """Run the session's first signalling call (`attempt`) on the least-loaded healthy node.

    The session row is locked first, so that the doctor's and the guardian's first offers,
    arriving together, land on one node. A node that cannot be reached is marked down and
    the next is tried; with none left the session is refused for now, untouched."""
    db.session.execute(select(VideoSession.id).where(VideoSession.id == session.id)
                       .with_for_update())
    db.session.refresh(session)
    if session.media_started_at is not None:  # the other side placed it meanwhile
        client = client_for(config, session.media_node_url or None)
        return attempt(client), client
    for node in candidates(config):
        client = client_for(config, node.url)
        try:
            answer = attempt(client)
        except MediaUnavailable as error:
            log.warning("media node %s unreachable while placing a session: %s", node.name,
                        error)
            mark_down(node, str(error))
            continue
        _mark_up(node, None, utcnow())
        session.media_node_url = node.url
        db.session.flush()
        record_event("video.placed", obj=session, details={"node": node.name})
        return answer, client
    # Nothing started anywhere: the session stays as it was, to be tried again.
    raise Refused("video_no_media_node", status=503)


def record_heartbeat(data: Mapping, config: Mapping, now: datetime | None = None) -> MediaNode:
    """A node's heartbeat: registered on the first one, seen (and back up) on each."""
    now = now or utcnow()
    name, url, rooms = data.get("name"), data.get("url"), data.get("rooms", 0)
    if (not isinstance(name, str) or not 0 < len(name) <= 80 or not isinstance(url, str)
            or not url.startswith(("http://", "https://")) or len(url) > 200
            or not isinstance(rooms, int) or isinstance(rooms, bool)):
        raise Refused("media_heartbeat_invalid", status=400)
    url = url.rstrip("/")
    sync_configured(config)  # a configured node's name is taken before any heartbeat
    node = db.session.execute(select(MediaNode).where(MediaNode.url == url)).scalar_one_or_none()
    if node is None:
        node = db.session.execute(
            select(MediaNode).where(MediaNode.name == name)).scalar_one_or_none()
        if node is not None and node.source == "heartbeat" and not live_sessions().get(node.url):
            node.url = url  # the node moved, with nothing running at its old address
        elif node is not None:
            raise Refused("media_heartbeat_name_taken", status=409)
    if node is None:
        node = MediaNode(name=name, url=url, source="heartbeat", drained=False, rooms=0,
                         last_error="")
        db.session.add(node)
        db.session.flush()
        record_event("media.node_registered", obj=node, details={"node": name, "url": url})
    _mark_up(node, rooms, now)
    db.session.flush()
    return node


def find_node(name_or_url: str) -> MediaNode:
    node = db.session.execute(select(MediaNode).where(
        (MediaNode.name == name_or_url) | (MediaNode.url == name_or_url.rstrip("/"))
    )).scalar_one_or_none()
    if node is None:
        raise Refused("media_node_unknown")
    return node


def set_drained(node: MediaNode, drained: bool, *, actor=None) -> None:
    """Drain (no new sessions; the running ones finish) or put back in the pool."""
    if node.drained == drained:
        return
    node.drained = drained
    db.session.flush()
    record_event("media.node_drained" if drained else "media.node_undrained", actor=actor,
                 obj=node, details={"node": node.name})


def forget_node(node: MediaNode, *, actor=None) -> None:
    """Remove a node from the pool; refused while sessions still run on it."""
    if live_sessions().get(node.url):
        raise Refused("media_node_busy")
    record_event("media.node_forgotten", actor=actor, obj=node,
                 details={"node": node.name, "url": node.url})
    db.session.delete(node)
    db.session.flush()


def poll_health(url: str) -> dict:
    """The node's /healthz answer (raises OSError or ValueError when it does not answer)."""
    with urllib.request.urlopen(f"{url.rstrip('/')}/healthz", timeout=HEALTH_TIMEOUT) as answer:
        if answer.status != 200:
            raise OSError(f"media node answered {answer.status}")
        data = json.loads(answer.read() or b"{}")
    if not isinstance(data, dict) or not data.get("ok"):
        raise ValueError("media node is not ok")
    return data


def pool_urls(config: Mapping, now: datetime | None = None) -> list[str]:
    """The addresses of the pool without writing: configured nodes, then registered nodes
    heard from recently (drained ones included: they still serve their sessions)."""
    now = now or utcnow()
    urls = list(configured_nodes(config).values())
    for node in _nodes():
        if node.source == "heartbeat" and node.url not in urls and is_healthy(node, config, now):
            urls.append(node.url)
    return urls


def reachable_node(urls: list[str], poll: Callable[[str], dict] = poll_health) -> str | None:
    """The first address whose /healthz answers, None when none does."""
    for url in urls:
        try:
            poll(url)
            return url
        except (OSError, ValueError):
            continue
    return None


@dataclass
class CheckResult:
    node: str
    healthy: bool
    interrupted: int = 0
    recovered: int = 0


def check_nodes(config: Mapping, now: datetime | None = None,
                poll: Callable[[str], dict] = poll_health) -> list[CheckResult]:
    """Poll every configured node, judge every registered one by its heartbeats; a dead node's
    live sessions are interrupted, and a node back up gives back what it recorded."""
    now = now or utcnow()
    configured = set(configured_nodes(config).values())
    # Poll before writing anything: no transaction waits on the network (SQLite's one writer).
    polled: dict[str, dict | Exception] = {}
    for url in configured:
        try:
            polled[url] = poll(url)
        except (OSError, ValueError) as error:
            polled[url] = error
    sync_configured(config)
    results = []
    for node in _nodes():
        if node.source == "config" and node.url not in configured:
            continue  # no longer configured: neither placed on nor checked
        if node.source == "config":
            answer = polled[node.url]
            if isinstance(answer, Exception):
                mark_down(node, f"health check failed: {type(answer).__name__}", now)
            else:
                _mark_up(node, answer.get("rooms"), now)
        elif not is_healthy(node, config, now) and node.down_since is None:
            mark_down(node, "no heartbeat", now)
        result = CheckResult(node.name, node.down_since is None)
        if node.down_since is not None:
            result.interrupted = interrupt_sessions_on(node, node.last_error or "node down")
        else:
            result.recovered = recover_sessions_on(node, config)
        results.append(result)
    db.session.flush()
    return results


def _sessions_on(node: MediaNode, *states: str) -> list[VideoSession]:
    query = select(VideoSession).where(VideoSession.media_node_url == node.url,
                                       VideoSession.state.in_(states),
                                       VideoSession.media_started_at.is_not(None))
    with across_townships(db.session.connection()):
        return list(db.session.execute(query).scalars())


def interrupt_sessions_on(node: MediaNode, reason: str) -> int:
    """The node is gone: its live sessions end as interrupted (cases untouched)."""
    from portal.video.services import mark_interrupted

    sessions = [s for s in _sessions_on(node, *ACTIVE_STATES) if s.ended_at is None]
    for session in sessions:
        mark_interrupted(session, f"media node {node.name}: {reason}")
    return len(sessions)


def recover_sessions_on(node: MediaNode, config: Mapping) -> int:
    """Sessions interrupted on this node that recorded and have no recording yet: collect what
    the node kept in its spool (each session on its own savepoint: one failure stops none)."""
    from portal.video.services import recover_session

    done = 0
    for session in _sessions_on(node, "interrupted"):
        if (session.recording_started_at is None or session.recording_evidence_id is not None
                or session.ended_at is not None):
            continue  # nothing recorded, or already collected (or tried: see recover_session)
        try:
            with db.session.begin_nested():
                if recover_session(session, actor=None, client=client_for(config, node.url)):
                    done += 1
        except Refused as refusal:
            log.warning("could not recover session %s from %s: %s", session.id, node.name,
                        refusal.code)
    return done


def node_rows(config: Mapping, now: datetime | None = None) -> list[dict]:
    """What `flask media list` and the metrics show of each node."""
    now = now or utcnow()
    loads = live_sessions()
    configured = set(configured_nodes(config).values())
    rows = []
    for node in _nodes():
        if node.source == "config" and node.url not in configured:
            status = "unconfigured"
        elif node.down_since is not None or not is_healthy(node, config, now):
            status = "down"
        else:
            status = "drained" if node.drained else "up"
        rows.append({"name": node.name, "url": node.url, "source": node.source,
                     "status": status, "drained": node.drained,
                     "sessions": loads.get(node.url, 0), "rooms": node.rooms,
                     "last_seen_at": _aware(node.last_seen_at), "last_error": node.last_error})
    return rows
