"""The aiortc parts the media service relies on are where `aiortc_adapter` expects them.

Each test drives real aiortc senders and receivers the way a call does, so an aiortc
version that moved one of them fails here (and at the service's start) rather than in a
call that quietly stops forwarding or capping.
"""
from __future__ import annotations

import queue

import pytest
from aiortc import (
    RTCCertificate,
    RTCDtlsTransport,
    RTCIceGatherer,
    RTCIceTransport,
    RTCRtpCodecParameters,
    RTCRtpReceiver,
    RTCRtpSender,
)
from aiortc.mediastreams import VideoStreamTrack
from aiortc.rtcrtpparameters import (
    RTCRtpDecodingParameters,
    RTCRtpReceiveParameters,
    RTCRtpRtxParameters,
)
from aiortc.rtcrtpreceiver import RemoteStreamTrack
from aiortc.rtp import RTCP_PSFB_PLI, RtcpPsfbPacket, RtpPacket

from assessment_video import aiortc_adapter
from assessment_video.forwarding import EncodedFeed

from .harness import run_async

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
RTX = RTCRtpCodecParameters(mimeType="video/rtx", clockRate=90000, payloadType=97,
                            parameters={"apt": 96})
MEDIA_SSRC, RTX_SSRC = 1111, 2222


def _transport() -> RTCDtlsTransport:
    return RTCDtlsTransport(RTCIceTransport(RTCIceGatherer()),
                            [RTCCertificate.generateCertificate()])


def _vp8_packet(sequence: int, timestamp: int, ssrc: int = MEDIA_SSRC) -> RtpPacket:
    # One-packet VP8 frame: payload descriptor (start of partition 0) and an inter frame.
    return RtpPacket(payload_type=96, marker=1, sequence_number=sequence,
                     timestamp=timestamp, ssrc=ssrc, payload=b"\x10\x01\x00\x00")


class _Recorded(queue.Queue):
    """A decoder queue that remembers what aiortc put in it."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list = []

    def put(self, item, *args, **kwargs) -> None:
        self.items.append(item)
        super().put(item, *args, **kwargs)


def test_the_installed_aiortc_has_every_part():
    assert aiortc_adapter.missing_internals() == []
    aiortc_adapter.check_internals()


def test_a_missing_part_stops_the_service_with_a_clear_message():
    class Older:
        def __init__(self) -> None:
            self.something_else = None

    with pytest.raises(aiortc_adapter.AiortcInternalsError) as error:
        aiortc_adapter.check_internals(
            used_in=[(Older, "__init__", ["_RTCRtpReceiver__decoder_queue"])],
            methods=[(Older, "_send_rtcp_pli")])
    message = str(error.value)
    assert "requirements.in" in message
    assert "Older._send_rtcp_pli()" in message
    assert "Older.__init__ no longer uses _RTCRtpReceiver__decoder_queue" in message


def test_receiver_frames_reach_the_replacement_queue_and_picture_loss_goes_out():
    async def body():
        receiver = RTCRtpReceiver("video", _transport())
        receiver._track = RemoteStreamTrack(kind="video")  # what the peer connection does
        recorded = _Recorded()
        aiortc_adapter.replace_decoder_queue(receiver, recorded)
        await receiver.receive(RTCRtpReceiveParameters(
            codecs=[VP8, RTX],
            encodings=[RTCRtpDecodingParameters(ssrc=MEDIA_SSRC, payloadType=96,
                                                rtx=RTCRtpRtxParameters(ssrc=RTX_SSRC))]))
        with pytest.raises(RuntimeError):
            aiortc_adapter.replace_decoder_queue(receiver, _Recorded())
        try:
            for sequence, timestamp in enumerate((0, 6000, 12000)):
                await receiver._handle_rtp_packet(_vp8_packet(sequence, timestamp), 0)
            await receiver._handle_rtp_packet(
                RtpPacket(payload_type=97, sequence_number=5, ssrc=RTX_SSRC), 0)
            frames = [item for item in recorded.items if item is not None]
            assert frames, "aiortc no longer hands its encoded frames to the decoder queue"
            codec, frame = frames[0]
            assert codec.name == "VP8" and frame.data and frame.timestamp == 0

            assert aiortc_adapter.media_ssrcs(receiver) == [MEDIA_SSRC]
            sent = []

            async def capture(packet) -> None:
                sent.append(packet)

            receiver._send_rtcp = capture  # the network side of aiortc, out of the test
            receiver._set_rtcp_ssrc(3333)
            await aiortc_adapter.send_picture_loss(receiver, MEDIA_SSRC)
            assert [(p.fmt, p.media_ssrc) for p in sent] == [(RTCP_PSFB_PLI, MEDIA_SSRC)]
        finally:
            await receiver.stop()
        assert recorded.items[-1] is None  # the decoder thread was stopped through it

    run_async(body())


def test_encoded_feed_installs_in_a_fresh_receiver():
    async def body():
        receiver = RTCRtpReceiver("video", _transport())
        feed = EncodedFeed.install(receiver, decode=False)
        assert receiver._RTCRtpReceiver__decoder_queue is feed

    run_async(body())


def test_sender_picture_loss_forced_keyframes_and_encoder():
    async def body():
        track = VideoStreamTrack()
        sender = RTCRtpSender(track, _transport())
        assert aiortc_adapter.take_keyframe_request(sender) is False

        # The receiving side reports picture loss: aiortc marks it, the adapter takes it once.
        await sender._handle_rtcp_packet(
            RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=4444, media_ssrc=sender._ssrc))
        assert aiortc_adapter.take_keyframe_request(sender) is True
        assert aiortc_adapter.take_keyframe_request(sender) is False

        aiortc_adapter.force_keyframe(sender)
        assert aiortc_adapter.take_keyframe_request(sender) is True

        assert aiortc_adapter.sender_encoder(sender) is None
        await sender._next_encoded_frame(VP8)
        encoder = aiortc_adapter.sender_encoder(sender)
        assert encoder is not None and encoder.target_bitrate > 0
        track.stop()

    run_async(body())
