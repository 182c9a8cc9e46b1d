"""The relay's VP8 encoders run at the configured libvpx speed without the denoiser."""
from fractions import Fraction

import av
from aiortc.codecs import vpx

from assessment_video.vp8 import _TunedContext, tune_vp8_encoder


def test_relay_vp8_encoder_is_tuned_and_still_encodes():
    original = vpx.av
    try:
        tune_vp8_encoder(10)
        encoder = vpx.Vp8Encoder()
        frame = av.VideoFrame(width=320, height=240, format="yuv420p")
        frame.pts, frame.time_base = 0, Fraction(1, 90000)
        payloads, _timestamp = encoder.encode(frame)
        assert payloads  # a real VP8 picture came out
        # The options aiortc assigned reached the context with the relay's speed and no denoiser.
        assert isinstance(encoder.codec, _TunedContext)
        assert encoder.codec._overrides == {"cpu-used": "-10", "noise-sensitivity": "0"}
        decoder = vpx.Vp8Decoder()  # decoders are left as aiortc makes them
        assert not isinstance(decoder.codec, _TunedContext)
    finally:
        vpx.av = original
