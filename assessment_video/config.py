"""Configuration of the media service, read from the environment (tests pass a dict)."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping

DEFAULTS: dict[str, object] = {
    "MEDIA_SHARED_SECRET": "",
    "MEDIA_ICE_SERVERS": [],
    "MEDIA_MAX_WIDTH": 640,
    "MEDIA_MAX_HEIGHT": 480,
    "MEDIA_MAX_FPS": 15,
    "MEDIA_MAX_BITRATE": 600_000,
    # The doctor's video (the guardian only needs to see a face) is capped lower: on a weak
    # phone link the guardian's downlink carries it, and at full rate it would crowd out
    # their voice and the congestion feedback their own picture depends on.
    "MEDIA_DOCTOR_MAX_BITRATE": 150_000,
    # Seconds without a picture from the guardian (their page pauses its camera on a weak
    # link) after which the doctor's picture is no longer sent to them: voice only, both ways,
    # until their picture comes back.
    "MEDIA_GUARDIAN_PICTURE_TIMEOUT": 2,
    # "remux": the recording keeps the browsers' VP8 and Opus packets as received (WebM, no
    # decoding or encoding; see assessment_video/remux.py). "transcode": decoded and re-encoded
    # with x264 and AAC into fragmented MP4 (the earlier recorder, assessment_video/recording.py).
    "MEDIA_RECORD_MODE": "remux",
    # Seconds after which the applicant's browser is asked for a keyframe, so a snapshot decodes
    # at most this much video and the recording has a seek point as often (0: only once the
    # frames since the last keyframe span 30 s, the longest kept for a snapshot).
    "MEDIA_KEYFRAME_INTERVAL": 10,
    # x264 preset of the transcoding recorder (MEDIA_RECORD_MODE=transcode). "superfast"
    # measured within noise of "veryfast" (1.83 vs 1.75-1.79 sessions per core), so the
    # smaller files win.
    "MEDIA_RECORD_PRESET": "veryfast",
    # libvpx realtime speed of the relay's VP8 encoders (aiortc's own is 6, with a denoiser);
    # 0 keeps aiortc's settings. See assessment_video/vp8.py.
    "MEDIA_VP8_SPEED": 10,
    # 1: forward each side's Opus and VP8 to the other as received (VP8 while it is within the
    # caps): no decoding or re-encoding for the relay, see assessment_video/forwarding.py;
    # 0: always decode, scale and re-encode.
    "MEDIA_FORWARD": 1,
    # 1: answers negotiate transport-cc for video and the service sends the browsers
    # transport-wide congestion feedback (assessment_video/congestion.py); 0: REMB only.
    "MEDIA_TRANSPORT_CC": 1,
    "MEDIA_SPOOL_DIR": "instance/media-spool",
    # Seconds a signed request's timestamp may differ from our clock; nonces are kept twice that.
    "MEDIA_MAX_SKEW": 30,
    "MEDIA_NONCE_WINDOW": 60,
    # A room with no connected peer for this long is closed (its recording left in the spool).
    "MEDIA_ROOM_IDLE_SECONDS": 120,
    # Offers one side may make in a minute (reconnections included).
    "MEDIA_MAX_OFFERS_PER_MINUTE": 10,
    # Several media nodes (docs/deploy.md): the portal's address for heartbeats (empty: none
    # sent; the portal checks a node of its own configuration itself), this node's name and
    # the address the portal reaches it at, and the seconds between heartbeats.
    "MEDIA_PORTAL_URL": "",
    "MEDIA_NODE_NAME": "",
    "MEDIA_NODE_URL": "",
    "MEDIA_HEARTBEAT_SECONDS": 10,
    "EVIDENCE_BACKEND": "local",
    "EVIDENCE_DIR": "instance/evidence",
}
_INTS = ("MEDIA_MAX_WIDTH", "MEDIA_MAX_HEIGHT", "MEDIA_MAX_FPS", "MEDIA_MAX_BITRATE",
         "MEDIA_DOCTOR_MAX_BITRATE", "MEDIA_GUARDIAN_PICTURE_TIMEOUT", "MEDIA_TRANSPORT_CC",
         "MEDIA_VP8_SPEED", "MEDIA_FORWARD", "MEDIA_KEYFRAME_INTERVAL",
         "MEDIA_MAX_SKEW", "MEDIA_NONCE_WINDOW", "MEDIA_ROOM_IDLE_SECONDS",
         "MEDIA_MAX_OFFERS_PER_MINUTE")


def load_config(environ: Mapping[str, str] | None = None,
                overrides: Mapping[str, object] | None = None) -> dict[str, object]:
    """Defaults, then MEDIA_*/EVIDENCE_*/MINIO_* variables of `environ`, then `overrides`."""
    environ = os.environ if environ is None else environ
    config: dict[str, object] = dict(DEFAULTS)
    for name, value in environ.items():
        if name.startswith(("MEDIA_", "EVIDENCE_", "MINIO_")):
            config[name] = value
    config.update(overrides or {})
    for name in _INTS:
        config[name] = int(config[name])  # type: ignore[arg-type]
    servers = config["MEDIA_ICE_SERVERS"]
    if isinstance(servers, str):
        config["MEDIA_ICE_SERVERS"] = json.loads(servers) if servers.strip() else []
    if config["MEDIA_RECORD_MODE"] not in ("remux", "transcode"):
        raise ValueError("MEDIA_RECORD_MODE must be remux or transcode")
    if not config["MEDIA_SHARED_SECRET"]:
        raise ValueError("MEDIA_SHARED_SECRET is required")
    beat = config["MEDIA_HEARTBEAT_SECONDS"]
    config["MEDIA_HEARTBEAT_SECONDS"] = float(beat)  # type: ignore[arg-type]
    if config["MEDIA_PORTAL_URL"] and not config["MEDIA_NODE_URL"]:
        raise ValueError("MEDIA_NODE_URL (how the portal reaches this node) is required "
                         "with MEDIA_PORTAL_URL")
    return config
