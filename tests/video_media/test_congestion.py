"""Transport-cc feedback messages and the skipping of a packet lost for good, without a network."""
from __future__ import annotations

import struct
import types

from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from assessment_video import aiortc_adapter
from assessment_video.congestion import TransportFeedback


def _packet(seq: int, ssrc: int = 0x1234):
    return types.SimpleNamespace(ssrc=ssrc, extensions=types.SimpleNamespace(
        transport_sequence_number=seq))


def _parse(message: bytes) -> dict:
    """Read a transport feedback message back (two-bit status vector chunks only)."""
    first, kind, length = struct.unpack("!BBH", message[:4])
    assert first & 0xC0 == 0x80 and first & 0x1F == 15 and kind == 205
    assert (length + 1) * 4 == len(message)
    if first & 0x20:
        message = message[:-message[-1]]
    _, media, base, count, ref = struct.unpack("!IIHHI", message[4:20])
    symbols, offset = [], 20
    while len(symbols) < count:
        (word,) = struct.unpack("!H", message[offset:offset + 2])
        assert word & 0xC000 == 0xC000
        symbols += [(word >> (12 - 2 * n)) & 3 for n in range(7)]
        offset += 2
    symbols = symbols[:count]
    deltas = []
    for symbol in symbols:
        if symbol == 1:
            deltas.append(message[offset])
            offset += 1
        elif symbol == 2:
            deltas.append(struct.unpack("!h", message[offset:offset + 2])[0])
            offset += 2
    return {"media": media, "base": base, "symbols": symbols, "deltas": deltas,
            "reference": ref >> 8, "count": ref & 0xFF}


def test_feedback_reports_each_packet_received_or_lost_with_its_arrival():
    feedback = TransportFeedback(receiver=None)
    feedback._start = 0.0
    arrivals = {65534: 1.000, 65535: 1.001, 1: 1.0035, 2: 1.200}  # 0 lost, across the wrap
    for seq, at in arrivals.items():
        feedback.on_packet(_packet(seq))
        last = max(feedback._arrivals)
        feedback._arrivals[last] = int(at * 1_000_000)
    parsed = _parse(feedback.build())
    assert parsed["media"] == 0x1234 and parsed["base"] == 65534 and parsed["count"] == 0
    assert parsed["symbols"] == [1, 1, 0, 1, 2]
    assert parsed["reference"] == 1_000_000 // 64000
    # 250 µs ticks from the reference time (15 × 64 ms = 0.960 s), then from each arrival.
    assert parsed["deltas"] == [160, 4, 10, 786]
    assert feedback.build() is None  # nothing new
    feedback.on_packet(_packet(1))  # a late copy of one already reported: ignored
    assert feedback.build() is None
    feedback.on_packet(_packet(3))
    later = _parse(feedback.build())
    assert later["base"] == 3 and later["symbols"] == [1] and later["count"] == 1


def _rtp(seq: int, timestamp: int, start: bool = True) -> RtpPacket:
    # VP8 payload descriptor: S (start of a frame's first partition) set or not, partition 0.
    packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=timestamp,
                       payload=b"\x10x" if start else b"\x00x")
    packet._data = b"x"  # what aiortc's depayloader sets on a received packet
    return packet


def test_a_packet_lost_for_good_no_longer_holds_the_frames_behind_it():
    buffer = JitterBuffer(capacity=512, is_video=True)
    receiver = types.SimpleNamespace(_RTCRtpReceiver__jitter_buffer=buffer)
    assert not aiortc_adapter.skip_jitter_hole(receiver)  # empty
    # Frames: 0-1 (ts 100), 2-3 (200, 2 lost), 4 (300), 5-6 (400, 6 lost), 7-8 (500), 9 (600).
    for seq, timestamp, start in ((0, 100, True), (1, 100, False), (3, 200, False),
                                  (4, 300, True), (5, 400, True), (7, 500, True),
                                  (8, 500, False)):
        _, frame = buffer.add(_rtp(seq, timestamp, start))
        assert frame is None  # seq 2 never comes: aiortc would wait for 512 packets
    assert aiortc_adapter.skip_jitter_hole(receiver)  # to the first frame after the last hole
    _, frame = buffer.add(_rtp(9, 600))
    assert frame is not None and frame.timestamp == 500
    assert not aiortc_adapter.skip_jitter_hole(receiver)  # no hole now
