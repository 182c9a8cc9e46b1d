"""The media service's HTTP API (aiohttp), built by `make_app(config)`; see the portal contract."""
from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping

from aiohttp import web

from evidence_store import make_store

from . import aiortc_adapter
from .heartbeat import beat_forever
from .rooms import ROLES, RoomError, RoomRegistry
from .signing import NONCE_HEADER, Verifier, sign_answer
from .vp8 import tune_vp8_encoder

REGISTRY = web.AppKey("registry", RoomRegistry)
VERIFIER = web.AppKey("verifier", Verifier)
SECRET = web.AppKey("secret", str)
REAPER = web.AppKey("reaper", asyncio.Task)
HEARTBEAT = web.AppKey("heartbeat", asyncio.Task)
ROOM_RE = r"[A-Za-z0-9_-]{1,128}"
KEY_PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)*/$")
MAX_BODY = 256 * 1024
logger = logging.getLogger("assessment_video")


def _error(message: str, status: int) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def require_signature(request: web.Request, handler):
    """Only requests signed by the portal (fresh, never replayed) reach the handlers."""
    if request.path == "/healthz":
        return await handler(request)
    body = await request.read()
    problem = request.app[VERIFIER].check(request.method, request.path, body, request.headers)
    if problem:
        logger.warning("refused %s %s: %s", request.method, request.path.split("/")[1], problem)
        return _signed(request, _error(problem, 401))
    try:
        response = await handler(request)
    except RoomError as exc:
        response = _error(str(exc), exc.status)
    return _signed(request, response)


def _signed(request: web.Request, response: web.Response) -> web.Response:
    """The answer, signed for the request it answers (its nonce), so the portal can trust it."""
    body = response.body if isinstance(response.body, bytes) else b""
    response.headers.update(sign_answer(request.app[SECRET], request.headers.get(
        NONCE_HEADER, ""), response.status, body))
    return response


async def _json(request: web.Request) -> dict:
    try:
        data = json.loads(await request.read() or b"{}")
    except ValueError:
        raise RoomError("body is not JSON", 400) from None
    if not isinstance(data, dict):
        raise RoomError("body must be a JSON object", 400)
    return data


def _key_prefix(data: dict) -> str:
    prefix = data.get("key_prefix")
    if not isinstance(prefix, str) or not KEY_PREFIX_RE.match(prefix) or "/../" in f"/{prefix}":
        raise RoomError("key_prefix must look like townships/<tid>/cases/<cid>/", 400)
    return prefix


def _live_room(request: web.Request):
    room = request.app[REGISTRY].get(request.match_info["room"])
    if room is None:
        raise RoomError("no such room", 404)
    return room


async def healthz(request: web.Request) -> web.Response:
    """Liveness probe (unsigned), with the number of live rooms (the node's load)."""
    return web.json_response({"ok": True, "rooms": len(request.app[REGISTRY].rooms)})


async def offer(request: web.Request) -> web.Response:
    """Answer one side's complete offer (a new offer for a role replaces its old peer)."""
    data = await _json(request)
    role, sdp = data.get("role"), data.get("sdp")
    if role not in ROLES or not isinstance(sdp, str) or data.get("type", "offer") != "offer":
        raise RoomError("role must be doctor or guardian, with an SDP offer", 400)
    room = request.app[REGISTRY].get_or_create(request.match_info["room"])
    answer = await room.accept_offer(role, sdp, bool(data.get("audio_only", False)))
    return web.json_response(answer)


async def leave(request: web.Request) -> web.Response:
    """One side leaves; the room and the recording go on."""
    data = await _json(request)
    if data.get("role") not in ROLES:
        raise RoomError("role must be doctor or guardian", 400)
    await _live_room(request).leave(data["role"])
    return web.json_response({"ok": True})


async def recording_start(request: web.Request) -> web.Response:
    """Start recording (the portal calls this only after both consents are stored)."""
    prefix = _key_prefix(await _json(request))
    await _live_room(request).start_recording(prefix)
    return web.json_response({"recording": True})


async def snapshot(request: web.Request) -> web.Response:
    """Store the applicant's current frame as a JPEG."""
    prefix = _key_prefix(await _json(request))
    return web.json_response(await _live_room(request).snapshot(prefix))


async def end(request: web.Request) -> web.Response:
    """End the room: close both sides, store the recording, list what was produced."""
    await _json(request)
    answer = await request.app[REGISTRY].end(request.match_info["room"])
    if answer is None:
        raise RoomError("no such room", 404)
    return web.json_response(answer)


async def recover(request: web.Request) -> web.Response:
    """After a crash: store what the dead process recorded for this room (same answer as end)."""
    await _json(request)
    registry = request.app[REGISTRY]
    room_id = request.match_info["room"]
    live = registry.get(room_id)
    if live is not None and live.recorder is not None:
        raise RoomError("the room is live: end it instead", 409)
    answer = await registry.recover(room_id)
    if answer is None:
        raise RoomError("no recording left for this room", 404)
    return web.json_response(answer)


async def state(request: web.Request) -> web.Response:
    """Connection state of each side and whether recording runs."""
    return web.json_response(_live_room(request).describe())


async def _start_reaper(app: web.Application) -> None:
    app[REAPER] = asyncio.ensure_future(app[REGISTRY].reap_forever())


async def _start_heartbeat(app: web.Application, config: Mapping) -> None:
    registry = app[REGISTRY]
    app[HEARTBEAT] = asyncio.ensure_future(beat_forever(config, lambda: len(registry.rooms)))


async def _shutdown(app: web.Application) -> None:
    app[REAPER].cancel()
    if HEARTBEAT in app:
        app[HEARTBEAT].cancel()
    await app[REGISTRY].close_all()


def make_app(config: Mapping) -> web.Application:
    """The media service for `config` (see assessment_video.config.load_config)."""
    app = web.Application(middlewares=[require_signature], client_max_size=MAX_BODY)
    if int(config.get("MEDIA_VP8_SPEED", 0)):
        tune_vp8_encoder(int(config["MEDIA_VP8_SPEED"]))
    if int(config.get("MEDIA_TRANSPORT_CC", 1)):
        aiortc_adapter.enable_transport_cc()  # congestion feedback for the browsers' video
    app[SECRET] = str(config["MEDIA_SHARED_SECRET"])
    app[VERIFIER] = Verifier(str(config["MEDIA_SHARED_SECRET"]),
                             max_skew=int(config.get("MEDIA_MAX_SKEW", 30)),
                             nonce_window=int(config.get("MEDIA_NONCE_WINDOW", 60)))
    app[REGISTRY] = RoomRegistry(config, make_store(config))
    base = "/rooms/{room:" + ROOM_RE + "}"
    app.router.add_get("/healthz", healthz)
    app.router.add_post(base + "/offer", offer)
    app.router.add_post(base + "/leave", leave)
    app.router.add_post(base + "/recording/start", recording_start)
    app.router.add_post(base + "/snapshot", snapshot)
    app.router.add_post(base + "/end", end)
    app.router.add_post(base + "/recover", recover)
    app.router.add_get(base, state)
    app.on_startup.append(_start_reaper)
    if config.get("MEDIA_PORTAL_URL"):
        app.on_startup.append(lambda started: _start_heartbeat(started, config))
    app.on_shutdown.append(_shutdown)
    return app
