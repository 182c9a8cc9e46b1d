"""From a sender's RTP timestamps to the recording's timeline, and the length of an Opus packet.

Each recorded source (the applicant's VP8, the applicant's Opus, the doctor's Opus) is its own
sender with its own clock: aiortc hands its frames with RTP timestamps counted from 0 at the
receiver's first frame (90 kHz for video, 48 kHz for Opus). A `Timeline` places them on the
recording's clock (milliseconds since the recording started, Matroska's time base):

- the first frame is placed where it arrived (so the three sources line up to within their
  transit times, and the video starts where its first keyframe came, not at 0);
- every later frame keeps the sender's own spacing (RTP timestamp differences), so network
  jitter and a burst after a stall do not move pictures or sound;
- a sender whose clock runs apart from ours (a sound card's clock drifts up to ~0.1 %) is
  caught up: when even the promptest frame of the last WINDOW seconds lags its arrival by
  more than DRIFT_LIMIT, or any frame would land in the future, the anchor moves to arrival
  (a gap or a short overlap of at most DRIFT_LIMIT, once);
- timestamps of one source only go forward (Matroska requires it).
"""
from __future__ import annotations

import collections

DRIFT_LIMIT = 0.3  # seconds a source may run apart from arrival before it is re-anchored
WINDOW = 5.0  # seconds over which the promptest frame is looked for


class Timeline:
    """Recording time (ms) of one source's frames, from their RTP timestamps and arrival."""

    def __init__(self, t0: float, clock_rate: int) -> None:
        self._t0 = t0
        self._rate = clock_rate
        self._anchor: tuple[float, int] | None = None  # (seconds on our timeline, RTP ts)
        self._since = t0
        self._last_ms = -1
        # (arrival, lag) pairs of the window, lags increasing: the front is the minimum.
        self._lags: collections.deque[tuple[float, float]] = collections.deque()
        self.reanchored = 0

    def _position(self, timestamp: int) -> float:
        at, stamp = self._anchor  # type: ignore[misc]
        return at + (timestamp - stamp) / self._rate

    def _reanchor(self, timestamp: int, arrival: float) -> None:
        self._anchor = (arrival - self._t0, timestamp)
        self._since = arrival
        self._lags.clear()

    def _track_lag(self, arrival: float, lag: float) -> float:
        """The smallest lag seen over the last WINDOW seconds, `lag` included."""
        lags = self._lags
        while lags and lags[-1][1] >= lag:
            lags.pop()
        lags.append((arrival, lag))
        while lags[0][0] < arrival - WINDOW:
            lags.popleft()
        return lags[0][1]

    def pts_ms(self, timestamp: int, arrival: float) -> int:
        """Milliseconds since the recording started for a frame stamped `timestamp`."""
        if self._anchor is None:
            self._reanchor(timestamp, arrival)
        position = self._position(timestamp)
        lag = (arrival - self._t0) - position
        if lag < -DRIFT_LIMIT:
            self._reanchor(timestamp, arrival)  # a frame from the future: our anchor is off
            self.reanchored += 1
        elif (self._track_lag(arrival, lag) > DRIFT_LIMIT
              and arrival - self._since >= WINDOW):
            self._reanchor(timestamp, arrival)  # every frame of the window came late: drift
            self.reanchored += 1
        ms = max(self._last_ms + 1, round(self._position(timestamp) * 1000))
        self._last_ms = ms
        return ms


# Samples per frame of each Opus configuration (RFC 6716 §3.1, at 48 kHz): SILK 10/20/40/60 ms,
# hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
_OPUS_FRAME = ([480, 960, 1920, 2880] * 3 + [480, 960] * 2 + [120, 240, 480, 960] * 4)


def opus_samples(packet: bytes) -> int:
    """Samples (48 kHz) an Opus packet holds, from its TOC byte (0 if malformed)."""
    if not packet:
        return 0
    toc = packet[0]
    frame = _OPUS_FRAME[toc >> 3]
    code = toc & 3
    if code == 0:
        count = 1
    elif code in (1, 2):
        count = 2
    else:
        if len(packet) < 2:
            return 0
        count = packet[1] & 0x3F
    return min(frame * count, 5760)  # at most 120 ms
