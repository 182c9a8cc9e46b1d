"""HMAC signing of portal → media service requests and of the media service's answers (pure
Python: the portal imports it too).

Signature = hex(HMAC-SHA256(secret, "\\n".join([METHOD, PATH, TIMESTAMP, NONCE, sha256_hex(body)])))
where PATH is the URL path without the query string. Headers: X-Media-Timestamp (unix seconds),
X-Media-Nonce (random hex, 16+ characters), X-Media-Signature.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping

TIMESTAMP_HEADER = "X-Media-Timestamp"
NONCE_HEADER = "X-Media-Nonce"
SIGNATURE_HEADER = "X-Media-Signature"


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def signature(secret: str | bytes, method: str, path: str, timestamp: str, nonce: str,
              body: bytes) -> str:
    """The hex HMAC-SHA256 of one request."""
    message = "\n".join([method.upper(), path, timestamp, nonce,
                         hashlib.sha256(body).hexdigest()])
    return hmac.new(_as_bytes(secret), message.encode(), hashlib.sha256).hexdigest()


def sign_headers(secret: str | bytes, method: str, path: str, body: bytes = b"",
                 *, timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    """Headers that authenticate one request (fresh nonce, current time unless given)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    return {
        TIMESTAMP_HEADER: stamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature(secret, method, path, stamp, nonce, body),
    }


class Verifier:
    """Checks signatures, clock skew and nonce reuse; one per process (it remembers nonces)."""

    def __init__(self, secret: str | bytes, max_skew: int = 30, nonce_window: int = 60,
                 clock: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("a shared secret is required")
        self._secret = _as_bytes(secret)
        self._max_skew = max_skew
        self._window = max(nonce_window, 2 * max_skew)
        self._clock = clock
        self._seen: dict[str, float] = {}

    def check(self, method: str, path: str, body: bytes,
              headers: Mapping[str, str]) -> str | None:
        """None when the request is authentic and fresh, else the reason it is refused."""
        stamp = headers.get(TIMESTAMP_HEADER, "")
        nonce = headers.get(NONCE_HEADER, "")
        given = headers.get(SIGNATURE_HEADER, "")
        if not (stamp and nonce and given):
            return "unsigned request"
        if len(nonce) < 16 or len(nonce) > 128:
            return "bad nonce"
        try:
            sent_at = int(stamp)
        except ValueError:
            return "bad timestamp"
        expected = signature(self._secret, method, path, stamp, nonce, body)
        if not hmac.compare_digest(expected, given.lower()):
            return "bad signature"
        now = self._clock()
        if abs(now - sent_at) > self._max_skew:
            return "stale request"
        self._forget_before(now)
        if nonce in self._seen:
            return "replayed request"
        self._seen[nonce] = now + self._window
        return None

    def _forget_before(self, now: float) -> None:
        expired = [n for n, until in self._seen.items() if until < now]
        for n in expired:
            del self._seen[n]


# --- media service → portal: every answer is signed too -----------------------------------
# Signature = hex(HMAC-SHA256(secret, "\n".join(["ANSWER", REQUEST_NONCE, STATUS, TIMESTAMP,
# sha256_hex(body)]))). Bound to the nonce of the request it answers, so that an answer cannot
# be replayed to another request, and marked "ANSWER" so that no request signature passes for
# one. Headers: X-Media-Timestamp and X-Media-Signature on the response.


def answer_signature(secret: str | bytes, request_nonce: str, status: int, timestamp: str,
                     body: bytes) -> str:
    message = "\n".join(["ANSWER", request_nonce, str(int(status)), timestamp,
                         hashlib.sha256(body).hexdigest()])
    return hmac.new(_as_bytes(secret), message.encode(), hashlib.sha256).hexdigest()


def sign_answer(secret: str | bytes, request_nonce: str, status: int, body: bytes,
                *, timestamp: int | None = None) -> dict[str, str]:
    """Headers that authenticate the answer to the request that carried `request_nonce`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: answer_signature(secret, request_nonce, status, stamp, body)}


def check_answer(secret: str | bytes, request_nonce: str, status: int, body: bytes,
                 headers: Mapping[str, str], *, max_skew: int = 30,
                 clock: Callable[[], float] = time.time) -> str | None:
    """None when the answer is authentic, fresh and meant for this request, else why not."""
    stamp = headers.get(TIMESTAMP_HEADER, "")
    given = headers.get(SIGNATURE_HEADER, "")
    if not (stamp and given):
        return "unsigned answer"
    try:
        sent_at = int(stamp)
    except ValueError:
        return "bad timestamp"
    expected = answer_signature(secret, request_nonce, status, stamp, body)
    if not hmac.compare_digest(expected, given.lower()):
        return "bad answer signature"
    if abs(clock() - sent_at) > max_skew:
        return "stale answer"
    return None
