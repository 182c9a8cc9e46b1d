"""Starting the media service for a test and talking to it like the portal does."""
from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from assessment_video.app import make_app
from assessment_video.config import load_config
from assessment_video.signing import sign_headers

SECRET = "test-media-secret"


def media_config(tmp_path: Path, **overrides) -> dict:
    """A configuration with a spool and a local evidence store under `tmp_path`."""
    return load_config({}, {
        "MEDIA_SHARED_SECRET": SECRET,
        "MEDIA_ICE_SERVERS": [],
        "MEDIA_SPOOL_DIR": str(tmp_path / "spool"),
        "EVIDENCE_BACKEND": "local",
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        **overrides,
    })


class Portal:
    """Signed JSON requests to the media service at `base_url`."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, secret: str = SECRET):
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.secret = secret

    async def request(self, method: str, path: str, data: dict | None = None,
                      headers: dict | None = None) -> tuple[int, dict]:
        body = b"" if data is None else json.dumps(data).encode()
        if headers is None:
            headers = sign_headers(self.secret, method, path, body)
        async with self.session.request(method, self.base_url + path, data=body, headers={
                "Content-Type": "application/json", **headers}) as response:
            return response.status, await response.json()

    async def post(self, path: str, data: dict) -> tuple[int, dict]:
        """A signed POST."""
        return await self.request("POST", path, data)


@contextlib.asynccontextmanager
async def running_service(config: dict) -> AsyncIterator[tuple[Portal, object]]:
    """The app on a free local port; yields a signed client and the app."""
    app = make_app(config)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            yield Portal(session, str(server.make_url("/"))), app
    finally:
        await server.close()


def run_async(coro, timeout: float = 60):
    """Run one async test body on a fresh loop in its own thread.

    A worker that ran the Playwright tests before has a loop running in its main thread
    (Playwright's sync API), where `asyncio.run` refuses to start.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coro, timeout)).result()
