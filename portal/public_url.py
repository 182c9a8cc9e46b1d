"""Addresses that leave the portal: printed on certificates (QR), sent in messages, handed to
guardians (invite and video join links). They are built from PUBLIC_BASE_URL only, never from
the request's Host header: a certificate printed through a proxy or from a command must carry
the address people will reach for the next ten years, not ``http://127.0.0.1:8000``.

Addresses inside the portal (redirects, links in pages) stay relative; Werkzeug's ProxyFix,
configured from TRUSTED_PROXIES, makes the request's own view of scheme, host and client
address right behind that many proxies.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app
from werkzeug.middleware.proxy_fix import ProxyFix


class PublicUrlError(RuntimeError):
    """A PUBLIC_BASE_URL or TRUSTED_PROXIES the portal refuses to start with."""


def check_settings(config: dict) -> None:
    """Normalise PUBLIC_BASE_URL (required in production, https there) and TRUSTED_PROXIES."""
    raw = str(config.get("PUBLIC_BASE_URL") or "").strip()
    production = config.get("ENV_NAME") not in ("development", "testing")
    if not raw:
        if production:
            raise PublicUrlError(
                "PUBLIC_BASE_URL must be set in production: the address printed in "
                "certificates' QR codes and sent in links, e.g. https://cjr.example.gov.cn")
        raw = "http://127.0.0.1:5000"
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PublicUrlError(f"PUBLIC_BASE_URL must be an http(s) address, not {raw!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise PublicUrlError("PUBLIC_BASE_URL must not carry a query, fragment or credentials")
    if production and parts.scheme != "https":
        raise PublicUrlError("PUBLIC_BASE_URL must use https in production")
    config["PUBLIC_BASE_URL"] = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    try:
        proxies = int(str(config.get("TRUSTED_PROXIES") or 0))
    except ValueError:
        raise PublicUrlError("TRUSTED_PROXIES must be a whole number of proxies") from None
    if proxies < 0:
        raise PublicUrlError("TRUSTED_PROXIES cannot be negative")
    config["TRUSTED_PROXIES"] = proxies


def install_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-For/-Proto/-Host/-Prefix from exactly TRUSTED_PROXIES proxies."""
    count = app.config["TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                x_prefix=count)


def public_url(endpoint: str, **values) -> str:
    """The absolute public address of `endpoint`, the same inside or outside a request."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
