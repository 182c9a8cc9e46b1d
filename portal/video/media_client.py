"""The portal's side of the media service contract: signed JSON requests over HTTP.

Every request carries the HMAC headers of `assessment_video.signing`; the media service refuses
anything unsigned, stale or replayed. Plain `urllib` keeps the portal free of another HTTP
library. Errors come out as two kinds: the service could not be reached or broke
(`MediaUnavailable`: the portal marks the session interrupted) and the service refused the
request: a `Refused` of the portal's catalogue (`video_too_many_offers` for its limit of offers,
`video_room_unknown` for a room it does not know, `video_media_refused` otherwise), which the
portal answers with a 429 or a 502.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

from assessment_video import signing
from portal.refusals import Refused

log = logging.getLogger(__name__)
# The media service's refusals (HTTP status) as the portal's; any other 4xx is video_media_refused.
REFUSAL_OF = {429: ("video_too_many_offers", 429), 404: ("video_room_unknown", 502)}


class MediaError(Exception):
    """A request to the media service did not give an answer the portal can use."""


class MediaUnavailable(MediaError):
    """The media service is down, unreachable, too slow or failed (5xx)."""


class MediaClient:
    """Signed calls to one media node (`base_url`), one method per contract endpoint."""

    def __init__(self, base_url: str, secret: str, timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.timeout = timeout

    def _request(self, method: str, path: str, payload: dict | None = None,
                 timeout: float | None = None) -> dict:
        if not self.secret:
            raise MediaUnavailable("MEDIA_SHARED_SECRET is not configured")
        body = b"" if payload is None else json.dumps(payload).encode()
        full_path = urlsplit(self.base_url).path.rstrip("/") + path
        headers = dict(signing.sign_headers(self.secret, method, full_path, body))
        if payload is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.base_url + path, data=body if payload is not None else None, method=method,
            headers=headers,
        )
        nonce = headers[signing.NONCE_HEADER]
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                raw = response.read()
                self._check_answer(nonce, response.status, raw, response.headers)
        except urllib.error.HTTPError as error:
            raw = error.read()
            self._check_answer(nonce, error.code, raw, error.headers)
            detail = _error_text(raw, error.reason)
            if error.code >= 500:
                raise MediaUnavailable(f"{error.code}: {detail}") from None
            log.warning("the media service refused a %s request: %s %s", method, error.code,
                        detail)
            code, status = REFUSAL_OF.get(error.code, ("video_media_refused", 502))
            raise Refused(code, status=status) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise MediaUnavailable(str(error)) from None
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            raise MediaUnavailable("the media service did not answer JSON") from None
        if not isinstance(answer, dict):
            raise MediaUnavailable("the media service did not answer a JSON object")
        return answer

    def _check_answer(self, nonce: str, status: int, raw: bytes, headers) -> None:
        """An answer that is not signed by the media node for this very request is not one."""
        problem = signing.check_answer(self.secret, nonce, status, raw, headers)
        if problem:
            raise MediaUnavailable(f"answer refused: {problem}")

    @staticmethod
    def _room(room: str) -> str:
        return "/rooms/" + quote(room, safe="")

    def offer(self, room: str, role: str, sdp: str, kind: str, audio_only: bool) -> dict:
        """Forward a browser's complete offer; the answer carries all ICE candidates."""
        return self._request("POST", self._room(room) + "/offer", {
            "role": role, "sdp": sdp, "type": kind, "audio_only": bool(audio_only),
        })

    def leave(self, room: str, role: str) -> dict:
        return self._request("POST", self._room(room) + "/leave", {"role": role})

    def start_recording(self, room: str, key_prefix: str) -> dict:
        return self._request("POST", self._room(room) + "/recording/start",
                             {"key_prefix": key_prefix})

    def snapshot(self, room: str, key_prefix: str) -> dict:
        return self._request("POST", self._room(room) + "/snapshot", {"key_prefix": key_prefix})

    def end(self, room: str) -> dict:
        # Ending uploads the recording to the evidence store: allow it time.
        return self._request("POST", self._room(room) + "/end", {}, timeout=120)

    def recover(self, room: str) -> dict:
        return self._request("POST", self._room(room) + "/recover", {}, timeout=120)

    def room(self, room: str) -> dict:
        return self._request("GET", self._room(room), timeout=5)


def _error_text(raw: bytes, reason: str | None) -> str:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return reason or ""
    return str(data.get("error", "")) if isinstance(data, dict) else ""


def client_for(config: Mapping, node_url: str | None = None) -> MediaClient:
    """A client of the session's media node (or the configured one) from the app config."""
    return MediaClient(node_url or config["MEDIA_SERVICE_URL"],
                       config.get("MEDIA_SHARED_SECRET") or "")
