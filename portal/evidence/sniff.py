"""Content types told from the first bytes of a file, never from its name or a browser's claim.

Small and dependency-free: the few formats evidence may have, plus the dangerous ones that
must be recognised to be refused (executables, archives, HTML/SVG dressed as something else).
"""
from __future__ import annotations

SNIFF_BYTES = 8192

VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/webm"})
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
MARKUP_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml",
                 b"<iframe", b"<meta", b"<a ", b"<img", b"<div", b"<!--")


def sniff(head: bytes) -> str | None:
    """The content type of a file starting with `head`, or None when it is not recognised."""
    if not head:
        return None
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in HEIF_BRANDS:
            return "image/heic"
        if brand == b"qt  ":
            return "video/quicktime"
        if brand in {b"M4A ", b"M4B "}:
            return "audio/mp4"
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head.startswith(b"MZ"):
        return "application/x-msdownload"
    if head.startswith(b"\x7fELF"):
        return "application/x-executable"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if head.startswith(b"GIF8"):
        return "image/gif"
    return _text_type(head)


def _text_type(head: bytes) -> str | None:
    text = _decode(head)
    if text is None:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return None
    lowered = text.lstrip("\ufeff \t\r\n").lower().encode()
    if lowered.startswith(MARKUP_STARTS) or b"<script" in lowered:
        return "text/html"
    return "text/plain"


def _decode(head: bytes) -> str | None:
    # The head may end inside a multi-byte character: allow up to 3 dangling bytes.
    for encoding in ("utf-8", "gb18030"):
        for cut in range(4):
            try:
                return head[: len(head) - cut].decode(encoding)
            except UnicodeDecodeError:
                continue
    return None


def is_video(content_type: str) -> bool:
    return content_type in VIDEO_TYPES
