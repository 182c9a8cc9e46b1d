"""A lighter VP8 encoder setting for the relay.

aiortc encodes VP8 with libvpx speed 6 and its denoiser on (`cpu-used -6`,
`noise-sensitivity 4`), settings meant for a desktop peer. A media node re-encodes every
relayed stream, so it trades a little picture quality for CPU: a higher speed and no denoiser.
aiortc has no setting for this, so its VP8 module gets a codec context that adjusts the options
it sets (the only place they are set).
"""
from __future__ import annotations

import av
from aiortc.codecs import vpx


class _TunedContext:
    """Forwards to a libvpx encoder context; adjusts the options aiortc assigns."""

    def __init__(self, context, overrides: dict[str, str]) -> None:
        object.__setattr__(self, "_context", context)
        object.__setattr__(self, "_overrides", overrides)

    def __getattr__(self, name):
        return getattr(self._context, name)

    def __setattr__(self, name, value) -> None:
        if name == "options":
            value = {**value, **self._overrides}
        setattr(self._context, name, value)


class _AvWithTunedVp8:
    """The `av` module as aiortc's VP8 code sees it: encoder contexts come tuned."""

    def __init__(self, overrides: dict[str, str]) -> None:
        self._overrides = overrides

    def __getattr__(self, name):
        if name == "CodecContext":
            return self
        return getattr(av, name)

    def create(self, codec, mode="r", *args, **kwargs):
        context = av.CodecContext.create(codec, mode, *args, **kwargs)
        if codec == "libvpx" and mode == "w":
            return _TunedContext(context, self._overrides)
        return context


def tune_vp8_encoder(cpu_used: int, denoise: bool = False) -> None:
    """Make aiortc's VP8 encoders use speed `cpu_used` (realtime, 4–16) and no denoiser."""
    overrides = {"cpu-used": str(-abs(cpu_used))}
    if not denoise:
        overrides["noise-sensitivity"] = "0"
    vpx.av = _AvWithTunedVp8(overrides)
