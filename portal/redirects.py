"""Where the portal may send a browser back to: only a path on this site.

Every `next` parameter and the language switch's return address go through `local_path`. It
judges the address as a browser would read it: browsers drop tabs and line breaks anywhere in a
URL, ignore leading spaces and control characters, and treat a backslash as a slash, so that
`/\t/evil.example`, `/\\evil.example` and ` //evil.example` all lead off the site.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

_DROPPED = re.compile(r"[\t\r\n]")


def local_path(target: str | None) -> str | None:
    """`target` as a path of this site, or None when a browser could read it otherwise."""
    if not target:
        return None
    seen = _DROPPED.sub("", target).lstrip("".join(map(chr, range(0x21)))).replace("\\", "/")
    if not seen.startswith("/") or seen.startswith("//"):
        return None
    parts = urlsplit(seen)
    if parts.scheme or parts.netloc:
        return None
    return seen
