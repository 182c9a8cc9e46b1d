"""A media node tells the portal it is alive: a signed POST to `MEDIA_PORTAL_URL` +
`/media/heartbeat` every `MEDIA_HEARTBEAT_SECONDS`, with its name, the address the portal
reaches it at (`MEDIA_NODE_URL`) and how many rooms it holds.

The portal registers a node on its first heartbeat and takes it out of the pool when the
heartbeats stop (docs/deploy.md, "Several media nodes"). Without `MEDIA_PORTAL_URL` nothing is
sent: a node named in the portal's own configuration (`MEDIA_SERVICE_URL`, `MEDIA_NODES`) is
checked by the portal instead.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import aiohttp

from .signing import sign_headers

log = logging.getLogger("assessment_video.heartbeat")
PATH = "/media/heartbeat"


def heartbeat_body(config: Mapping, rooms: int) -> bytes:
    return json.dumps({"name": str(config.get("MEDIA_NODE_NAME") or config["MEDIA_NODE_URL"]),
                       "url": str(config["MEDIA_NODE_URL"]), "rooms": int(rooms)}).encode()


async def send_heartbeat(session: aiohttp.ClientSession, config: Mapping, rooms: int) -> int:
    """One heartbeat; the portal's HTTP status."""
    portal = str(config["MEDIA_PORTAL_URL"]).rstrip("/")
    path = urlsplit(portal).path.rstrip("/") + PATH
    body = heartbeat_body(config, rooms)
    headers = {**sign_headers(str(config["MEDIA_SHARED_SECRET"]), "POST", path, body),
               "Content-Type": "application/json"}
    async with session.post(portal + PATH, data=body, headers=headers,
                            timeout=aiohttp.ClientTimeout(total=5)) as answer:
        return answer.status


async def beat_forever(config: Mapping, rooms: Callable[[], int]) -> None:
    """Heartbeats until cancelled; a portal that cannot be reached is logged, not fatal."""
    interval = max(0.05, float(config.get("MEDIA_HEARTBEAT_SECONDS") or 10))
    failing = False
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                status = await send_heartbeat(session, config, rooms())
                if status != 200 and not failing:
                    log.warning("the portal refused the heartbeat: HTTP %s", status)
                failing = status != 200
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                if not failing:
                    log.warning("heartbeat to the portal failed: %s", type(error).__name__)
                failing = True
            await asyncio.sleep(interval)
