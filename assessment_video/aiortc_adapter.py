"""Every use of aiortc's non-public parts, in one place, checked when the service starts.

aiortc's public API has no way to take a receiver's encoded frames, to ask a remote
sender for a keyframe, to see a remote picture-loss report, to reach the video encoder's
bitrate or to narrow the codecs of an answer. Forwarding (`forwarding.py`), the recording of
packets as received (`remux.py`) and snapshots (`snapshots.py`), both through the encoded
feed, and the bitrate cap (`relay.py`) need these, so this module reaches into aiortc for
them, and nowhere else does. What each access is for:

- receiver decoder queue (`__decoder_queue`, `__decoder_thread`): aiortc puts every
  reassembled encoded frame there and its decoder thread reads it; the encoded feed takes
  its place so frames can be forwarded without decoding. Replaceable only before the
  receiver starts (the thread is given the queue once).
- receiver retransmission map (`__rtx_ssrc`): picture-loss requests go to the media SSRCs
  (from the public `getSynchronizationSources`), not to the retransmission ones.
- receiver jitter buffer (`__jitter_buffer`, its `_origin`, `_packets` and `remove`): aiortc
  hands a video frame on only once every packet before it arrived, so a packet lost for good
  (its retransmission lost too, common on a lossy phone link) holds every later frame until
  512 packets have piled up (about 20 s at 200 kbit/s). `skip_jitter_hole` drops what waits
  up to the first VP8 frame start after the last hole, and the source is asked for a keyframe.
- receiver `_handle_rtp_packet` and `_send_rtcp`: each video receiver notes the arrival of
  every packet (wrapping the handler on the instance) and sends transport-cc feedback
  (`congestion.py`); `codecs.CODECS` and `codecs.HEADER_EXTENSIONS` get `transport-cc` and
  the transport-wide sequence number so answers negotiate them for video.
- receiver `_send_rtcp_pli`: sends an RTCP picture-loss indication to the remote sender.
- sender `__force_keyframe` / `_send_keyframe`: aiortc sets the flag when the receiving side
  reports picture loss (PLI/FIR); while forwarding, the flag is taken and the request passed
  on to the source. `_send_keyframe` makes the sender's own encoder start with a keyframe.
- sender `__rtp_history`: emptied when the doctor's picture to a guardian is stopped, so the
  guardian's requests for its lost packets are not answered at length on their weak link.
- sender `__encoder`: its `target_bitrate` follows the receiving side's bandwidth estimate
  up to the codec's limit; the service lowers it to the configured cap.
- transceiver `_codecs`: the codecs an answer offers; narrowed to one so both legs of a call
  speak the same codec (aiortc's public `setCodecPreferences` cannot act on an answer).

`check_internals` runs at import: a missing part (another aiortc version) stops the service
with a clear message instead of forwarding or capping silently doing nothing.
tests/video_media/test_aiortc_adapter.py exercises each part on real aiortc objects.
"""
from __future__ import annotations

from typing import Any

import aiortc
from aiortc import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc import codecs as aiortc_codecs
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpparameters import RTCRtcpFeedback, RTCRtpHeaderExtensionParameters

ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
TRANSPORT_CC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

_RECEIVER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_RECEIVER_THREAD = "_RTCRtpReceiver__decoder_thread"
_RECEIVER_RTX = "_RTCRtpReceiver__rtx_ssrc"
_RECEIVER_JITTER = "_RTCRtpReceiver__jitter_buffer"
_SENDER_ENCODER = "_RTCRtpSender__encoder"
_SENDER_KEYFRAME = "_RTCRtpSender__force_keyframe"
_SENDER_HISTORY = "_RTCRtpSender__rtp_history"

# (class, method, attribute names its code must use): the attributes are set in __init__
# and read where aiortc does the work this module relies on.
_USED_IN = [
    (RTCRtpReceiver, "__init__", [_RECEIVER_QUEUE, _RECEIVER_THREAD, _RECEIVER_RTX]),
    (RTCRtpReceiver, "receive", [_RECEIVER_QUEUE, _RECEIVER_THREAD, _RECEIVER_RTX]),
    (RTCRtpReceiver, "_handle_rtp_packet", [_RECEIVER_QUEUE, _RECEIVER_THREAD, _RECEIVER_RTX,
                                            _RECEIVER_JITTER, "_send_rtcp_pli"]),
    (JitterBuffer, "_remove_frame", ["_origin", "_packets"]),
    (JitterBuffer, "remove", ["_origin", "_packets"]),
    (RTCRtpSender, "__init__", [_SENDER_ENCODER, _SENDER_KEYFRAME]),
    (RTCRtpSender, "_next_encoded_frame", [_SENDER_ENCODER, _SENDER_KEYFRAME]),
    (RTCRtpSender, "_send_keyframe", [_SENDER_KEYFRAME]),
    (RTCRtpSender, "_retransmit", [_SENDER_HISTORY]),
    (RTCRtpSender, "_handle_rtcp_packet", ["_send_keyframe", _SENDER_ENCODER]),
    (RTCRtpTransceiver, "__init__", ["_codecs"]),
]
_METHODS = [(RTCRtpReceiver, "_send_rtcp_pli"), (RTCRtpReceiver, "_send_rtcp"),
            (RTCRtpReceiver, "_handle_rtp_packet"), (RTCRtpReceiver, "getSynchronizationSources"),
            (RTCRtpSender, "_send_keyframe")]


class AiortcInternalsError(RuntimeError):
    """The installed aiortc lacks a part the media service relies on."""


def missing_internals(used_in=None, methods=None) -> list[str]:
    """What the installed aiortc lacks, as readable lines (empty: all there)."""
    missing = []
    for cls, name in (_METHODS if methods is None else methods):
        if not callable(getattr(cls, name, None)):
            missing.append(f"{cls.__name__}.{name}()")
    for cls, method, attributes in (_USED_IN if used_in is None else used_in):
        code = getattr(getattr(cls, method, None), "__code__", None)
        names = set(code.co_names) if code is not None else set()
        for attribute in attributes:
            if attribute not in names:
                missing.append(f"{cls.__name__}.{method} no longer uses {attribute}")
    return missing


def check_internals(used_in=None, methods=None) -> None:
    """Raise AiortcInternalsError naming every missing part."""
    missing = missing_internals(used_in, methods)
    if missing:
        raise AiortcInternalsError(
            f"aiortc {getattr(aiortc, '__version__', '?')} is not the version the media "
            "service was written for (see requirements.in); forwarding, keyframe requests "
            "and the bitrate cap would not work. Missing: " + "; ".join(missing))


# -- receivers ------------------------------------------------------------------------------
def replace_decoder_queue(receiver: RTCRtpReceiver, replacement: Any) -> None:
    """Make aiortc put the receiver's encoded frames in `replacement` (before it starts).

    `replacement` needs `put(item)` (on the event loop: (codec, frame), or None when the
    receiver stops) and `get()` (for aiortc's decoder thread), like queue.Queue.
    """
    if getattr(receiver, _RECEIVER_THREAD) is not None:
        raise RuntimeError("the receiver has already started")
    setattr(receiver, _RECEIVER_QUEUE, replacement)


def media_ssrcs(receiver: RTCRtpReceiver) -> list[int]:
    """The SSRCs the receiver gets media on (retransmission SSRCs left out)."""
    retransmissions = getattr(receiver, _RECEIVER_RTX)
    return [s.source for s in receiver.getSynchronizationSources()
            if s.source not in retransmissions]


def _vp8_frame_start(packet) -> bool:
    """The first packet of a VP8 frame (payload descriptor: S set, partition 0)."""
    payload = packet.payload
    return bool(payload) and payload[0] & 0x17 == 0x10


def skip_jitter_hole(receiver: RTCRtpReceiver) -> bool:
    """Drop what a video receiver's jitter buffer holds up to the first VP8 frame start after
    its last missing packet; False if there is no such hole (nothing dropped)."""
    buffer = getattr(receiver, _RECEIVER_JITTER)
    origin = buffer._origin
    if origin is None:
        return False
    capacity, packets = buffer.capacity, buffer._packets
    held = [packets[(origin + i) % capacity] for i in range(capacity)]
    last = max((i for i, p in enumerate(held) if p is not None), default=None)
    if last is None:
        return False
    hole = max((i for i in range(last) if held[i] is None), default=None)
    if hole is None:
        return False  # nothing missing: the newest frame is merely not finished yet
    start = next((i for i in range(hole + 1, last + 1) if _vp8_frame_start(held[i])), None)
    if start is None:
        return False  # no frame has started since the hole yet
    buffer.remove(start)
    return True


def watch_rtp(receiver: RTCRtpReceiver, callback) -> None:
    """Call `callback(packet)` for every RTP packet the receiver gets, before aiortc does."""
    handle = receiver._handle_rtp_packet

    async def watched(packet, arrival_time_ms: int) -> None:
        callback(packet)
        await handle(packet, arrival_time_ms=arrival_time_ms)

    receiver._handle_rtp_packet = watched


async def send_rtcp(receiver: RTCRtpReceiver, message: bytes) -> None:
    """Send one RTCP message (already serialized) from the receiver."""
    await receiver._send_rtcp(message)


def enable_transport_cc() -> None:
    """Make answers offer transport-cc feedback and the transport-wide sequence number for
    video (only what the browser offered is kept: a peer without them is unaffected)."""
    # REMB goes: aiortc's estimate follows the rate it receives (at most 1.5 times it), so a
    # sender that fell low on a lossy link would stay capped there. Without abs-send-time
    # aiortc computes no REMB; without goog-remb the browser expects none.
    extensions = aiortc_codecs.HEADER_EXTENSIONS["video"]
    extensions[:] = [e for e in extensions if e.uri != ABS_SEND_TIME_URI]
    if not any(e.uri == TRANSPORT_CC_URI for e in extensions):
        extensions.append(RTCRtpHeaderExtensionParameters(id=5, uri=TRANSPORT_CC_URI))
    for codec in aiortc_codecs.CODECS["video"]:
        if codec.name == "rtx":
            continue
        codec.rtcpFeedback[:] = [f for f in codec.rtcpFeedback if f.type != "goog-remb"]
        if RTCRtcpFeedback(type="transport-cc") not in codec.rtcpFeedback:
            codec.rtcpFeedback.append(RTCRtcpFeedback(type="transport-cc"))


async def send_picture_loss(receiver: RTCRtpReceiver, ssrc: int) -> None:
    """Ask the remote sender of `ssrc` for a keyframe (RTCP PLI)."""
    await receiver._send_rtcp_pli(ssrc)


# -- senders --------------------------------------------------------------------------------
def force_keyframe(sender: RTCRtpSender) -> None:
    """Make the sender's encoder produce a keyframe next."""
    sender._send_keyframe()


def take_keyframe_request(sender: RTCRtpSender) -> bool:
    """True once for each keyframe request (picture loss) from the receiving side."""
    if getattr(sender, _SENDER_KEYFRAME):
        setattr(sender, _SENDER_KEYFRAME, False)
        return True
    return False


def forget_sent_packets(sender: RTCRtpSender) -> None:
    """Empty the sender's retransmission history: packets of a stream that was stopped are
    not sent again on the receiver's requests (they would fill a weak downlink)."""
    getattr(sender, _SENDER_HISTORY).clear()


def sender_encoder(sender: RTCRtpSender) -> Any:
    """The sender's encoder (None before its first frame)."""
    return getattr(sender, _SENDER_ENCODER)


# -- transceivers ---------------------------------------------------------------------------
def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list:
    """The codecs the transceiver's answer will offer, in order."""
    return list(transceiver._codecs)


def restrict_codecs(transceiver: RTCRtpTransceiver, codecs: list) -> None:
    """Offer only `codecs` (a subset of `negotiated_codecs`) in the answer."""
    transceiver._codecs = list(codecs)


check_internals()
