"""Transport-wide congestion feedback (transport-cc) for the browsers' video senders.

aiortc gives a browser only REMB and receiver reports. With those, Chromium's congestion
control has only its loss-based part: on a phone link with a few percent of random loss it
neither grows nor finds the link again once it has fallen (measured: stuck at its 30 kbit/s
floor at 300 kbit/s with 2 % loss). With transport-cc the browser sees the arrival time of
each packet, so its delay-based estimate and its probes follow the link up and down.

The answer negotiates the transport-wide sequence number header extension and `transport-cc`
for video (`aiortc_adapter.enable_transport_cc`); each video receiver records when each
numbered packet arrived and every 100 ms sends an RTCP transport feedback message
(draft-holmer-rmcat-transport-wide-cc-extensions-01, section 3.1).
"""
from __future__ import annotations

import asyncio
import struct
import time

from . import aiortc_adapter

INTERVAL = 0.1  # seconds between two feedback messages
MAX_SPAN = 2000  # packets one message may describe
TICK_US = 250  # receive deltas are counted in 250 µs


class TransportFeedback:
    """Arrival times of one receiver's transport-numbered packets, reported to the sender."""

    def __init__(self, receiver, sender_ssrc: int = 1) -> None:
        self._receiver = receiver
        self._sender_ssrc = sender_ssrc
        self._media_ssrc = 0
        self._arrivals: dict[int, int] = {}  # extended sequence number → µs
        self._highest: int | None = None
        self._next: int | None = None  # first sequence number not yet reported
        self._count = 0
        self._start = time.monotonic()
        self.sent = 0
        self._task: asyncio.Future | None = None

    def start(self) -> None:
        """Begin sending feedback (on the running event loop)."""
        aiortc_adapter.watch_rtp(self._receiver, self.on_packet)
        self._task = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def on_packet(self, packet) -> None:
        """An RTP packet arrived (called before aiortc handles it)."""
        seq = packet.extensions.transport_sequence_number
        if seq is None:
            return
        self._media_ssrc = packet.ssrc
        if self._highest is None:
            extended = seq
        else:
            delta = (seq - self._highest) & 0xFFFF
            extended = self._highest + (delta if delta < 0x8000 else delta - 0x10000)
        if self._next is not None and extended < self._next:
            return  # already reported as lost
        self._highest = extended if self._highest is None else max(self._highest, extended)
        self._arrivals[extended] = int((time.monotonic() - self._start) * 1_000_000)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(INTERVAL)
            message = self.build()
            if message is not None:
                await aiortc_adapter.send_rtcp(self._receiver, message)
                self.sent += 1

    def build(self) -> bytes | None:
        """The next feedback message (None: nothing arrived since the last one)."""
        if not self._arrivals:
            return None
        first = min(self._arrivals) if self._next is None else self._next
        last = max(self._arrivals)
        first = max(first, last - MAX_SPAN + 1)
        received = sorted((s, t) for s, t in self._arrivals.items() if s >= first)
        self._arrivals.clear()
        self._next = last + 1
        reference = received[0][1] // 64000
        previous = reference * 64000
        symbols, deltas = [], bytearray()
        arrivals = dict(received)
        for seq in range(first, last + 1):
            at = arrivals.get(seq)
            if at is None:
                symbols.append(0)
                continue
            delta = round((at - previous) / TICK_US)
            if 0 <= delta <= 255:
                symbols.append(1)
                deltas.append(delta)
            else:
                delta = max(-32768, min(32767, delta))
                symbols.append(2)
                deltas += struct.pack("!h", delta)
            previous += delta * TICK_US
        chunks = bytearray()
        for i in range(0, len(symbols), 7):
            group = symbols[i:i + 7] + [0] * (7 - len(symbols[i:i + 7]))
            word = 0xC000
            for n, symbol in enumerate(group):
                word |= symbol << (12 - 2 * n)
            chunks += struct.pack("!H", word)
        body = struct.pack("!IIHHI", self._sender_ssrc, self._media_ssrc, first & 0xFFFF,
                           len(symbols), ((reference & 0xFFFFFF) << 8) | (self._count & 0xFF))
        body += chunks + deltas
        self._count += 1
        padding = (-len(body)) % 4
        if padding:
            body += bytes(padding - 1) + bytes([padding])
        header = struct.pack("!BBH", 0x80 | (0x20 if padding else 0) | 15, 205,
                             (len(body) + 4) // 4 - 1)
        return header + body
