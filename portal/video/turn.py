"""Time-limited TURN credentials (the TURN REST API that coturn's `use-auth-secret` checks).

The username is `<expiry as Unix time>:<label>`, the password the Base64 HMAC-SHA1 of the
username under the secret shared with coturn (`static-auth-secret`). coturn refuses the pair
after the expiry, so a credential read from a page is worth little, and the portal never
writes a lasting TURN password into a page.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime


def turn_credentials(secret: str, label: str, now: datetime, seconds: int) -> dict:
    """A username and password valid for `seconds` from `now`."""
    expiry = int(now.timestamp()) + int(seconds)
    username = f"{expiry}:{label}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return {"username": username, "credential": base64.b64encode(digest).decode()}


def turn_urls(value) -> list[str]:
    """TURN_URLS: a JSON list, or URLs separated by commas or spaces."""
    if isinstance(value, (list, tuple)):
        return [str(u) for u in value if u]
    text = (value or "").strip()
    if text.startswith("["):
        return [str(u) for u in json.loads(text) if u]
    return [u for u in text.replace(",", " ").split() if u]


def ice_servers_for(config: Mapping, label: str, now: datetime) -> list[dict]:
    """The browsers' ICE servers: VIDEO_ICE_SERVERS (STUN, or TURN with fixed credentials
    for development), then the TURN servers with fresh credentials for `label`."""
    value = config.get("VIDEO_ICE_SERVERS") or []
    servers = json.loads(value) if isinstance(value, str) else list(value)
    urls = turn_urls(config.get("TURN_URLS"))
    secret = config.get("TURN_SHARED_SECRET")
    if urls and secret:
        servers.append({"urls": urls, **turn_credentials(
            secret, label, now, int(config.get("TURN_CREDENTIAL_SECONDS") or 4 * 3600))})
    return servers
