"""The link's state as the doctor's browser measures it (getStats), noted in the session's log.

The doctor's page classifies what it receives (round-trip time, packet loss, picture size and
frame rate) as good, fair or poor and tells the doctor in plain words; each time the class
changes it sends the figures here, and they become an audit event of the session
(`video.link_quality`), so a reviewer sees when the picture was not good enough to judge.
"""
from __future__ import annotations

from collections.abc import Mapping

from portal.audit.services import record_event
from portal.refusals import Refused
from portal.video.models import ACTIVE_STATES, VideoSession

LEVELS = ("good", "fair", "poor")
# Each figure: (name in the browser's report, largest sensible value).
FIGURES = {"rtt_ms": 60_000, "loss_pct": 100, "width": 10_000, "height": 10_000, "fps": 240}


def link_note(data: Mapping) -> dict:
    """The note to keep, from the browser's JSON; Refused when it is not one."""
    level = data.get("level")
    if level not in LEVELS:
        raise Refused("video_link_note_invalid", status=400)
    note: dict[str, object] = {"level": level}
    for name, largest in FIGURES.items():
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not 0 <= value <= largest:
            raise Refused("video_link_note_invalid", status=400)
        note[name] = round(float(value), 1)
    return note


def note_link_quality(session: VideoSession, *, actor, data: Mapping) -> dict:
    """Keep the doctor's measure of the link in the session's log (an audit event)."""
    if session.state not in ACTIVE_STATES:
        raise Refused("video_link_not_active")
    note = link_note(data)
    record_event("video.link_quality", actor=actor, obj=session, details=note)
    return note
