"""Video rooms: one peer per role (doctor, guardian), relaying, recording and snapshots."""
from __future__ import annotations

import asyncio
import collections
import hashlib
import logging
import secrets
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack

from .forwarding import AudioForwardTrack, EncodedFeed, VideoForwardTrack, prefer_codec
from .recording import Recorder
from .relay import FrameTap, cap_sdp_bitrate, clamp_encoder_bitrates
from .remux import PacketRecorder
from .snapshots import NoPicture, PictureSource, jpeg
from .spool import Spool, put_bytes, upload_spooled

ROLES = ("doctor", "guardian")
OTHER = {"doctor": "guardian", "guardian": "doctor"}
# Peer connection states that count as someone being in the room.
LIVE_STATES = ("new", "connecting", "connected")
logger = logging.getLogger("assessment_video")


class RoomError(Exception):
    """A request the room cannot serve; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def ice_configuration(servers: list[Mapping]) -> RTCConfiguration:
    """The configured ICE servers, and only those (an empty list means host candidates only)."""
    return RTCConfiguration(iceServers=[
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
        for s in servers])


class Peer:
    """One side's peer connection, what it sends and what it receives."""

    def __init__(self, role: str, pc: RTCPeerConnection, peer_id: str, audio_only: bool,
                 log: logging.LoggerAdapter, limits: tuple[int, int, int],
                 forward_media: bool = True) -> None:
        self.role = role
        self.pc = pc
        self.peer_id = peer_id
        self.audio_only = audio_only
        self.log = log
        self.out = {"audio": AudioForwardTrack(forward=forward_media),
                    "video": VideoForwardTrack(*limits, forward=forward_media)}
        self.incoming: dict[str, MediaStreamTrack] = {}
        self.feeds: dict[str, EncodedFeed] = {}
        self.taps: dict[str, FrameTap] = {}  # decoded pictures and sound (transcode mode)
        self.pictures: PictureSource | None = None  # the applicant's, for snapshots
        self.picture_paused = False  # the other side's video held back (see Room)
        self.frame_counts: collections.deque[tuple[float, int]] = collections.deque()

    @property
    def state(self) -> str:
        """The peer connection's state ("new", "connecting", "connected", "failed", ...)."""
        return self.pc.connectionState

    async def close(self) -> None:
        """Stop sending and receiving, close the connection."""
        for track in self.out.values():
            track.stop()
        for tap in self.taps.values():
            tap.stop()
        for feed in self.feeds.values():
            if feed.feedback is not None:
                feed.feedback.stop()
        if self.pictures is not None:
            self.pictures.close()
        await self.pc.close()
        self.log.info("peer closed")


class Room:
    """The live state of one video session."""

    def __init__(self, room_id: str, config: Mapping, store, log: logging.LoggerAdapter) -> None:
        self.room_id = room_id
        self.config = config
        self.store = store
        self.log = log
        self.relay = MediaRelay()
        self.peers: dict[str, Peer] = {}
        self.recorder: PacketRecorder | Recorder | None = None
        # "remux": packets as received into WebM; "transcode": decoded, x264/AAC into MP4.
        self.transcode_recording = config.get("MEDIA_RECORD_MODE", "remux") == "transcode"
        self.spool = Spool(Path(str(config["MEDIA_SPOOL_DIR"])), room_id)
        self.key_prefix: str | None = None
        self.snapshots: list[dict] = []
        self._lock = asyncio.Lock()
        # When a peer was last connected (or the room opened): the reaper's measure.
        self.seen_at = time.monotonic()
        self._offers: dict[str, list[float]] = {}
        self._ticker = asyncio.ensure_future(self._tick())

    @property
    def limits(self) -> tuple[int, int, int]:
        """Max width, height and frame rate of relayed and recorded video."""
        c = self.config
        return int(c["MEDIA_MAX_WIDTH"]), int(c["MEDIA_MAX_HEIGHT"]), int(c["MEDIA_MAX_FPS"])

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            now = time.monotonic()
            for peer in list(self.peers.values()):
                clamp_encoder_bitrates(peer.pc, self._max_bitrate(peer.role))
                feed = peer.feeds.get("video")
                if feed is not None and feed.skip_hole(now):
                    peer.log.info("video: skipped a packet lost for good, asked for a keyframe")
            try:
                self._follow_guardian_picture()
            except Exception:  # the ticker must go on (it also keeps the room alive)
                self.log.exception("following the guardian's picture failed")
            if self.has_live_peer():
                self.seen_at = time.monotonic()

    def _max_bitrate(self, role: str) -> int:
        """The video bitrate cap of what `role` sends (the doctor's is lower, see config)."""
        key = "MEDIA_DOCTOR_MAX_BITRATE" if role == "doctor" else "MEDIA_MAX_BITRATE"
        return min(int(self.config[key]), int(self.config["MEDIA_MAX_BITRATE"]))

    def _follow_guardian_picture(self) -> None:
        """While no picture comes from the guardian (their page paused the camera on a weak
        link, or the link lost it), send them the doctor's voice only; the picture again
        once theirs is back. Their downlink then has room for the voice and the feedback."""
        guardian, doctor = self.peers.get("guardian"), self.peers.get("doctor")
        if guardian is None or doctor is None or guardian.audio_only:
            return
        feed = guardian.feeds.get("video")
        if feed is None or feed.last_frame_at is None or guardian.state != "connected":
            return
        timeout = float(self.config.get("MEDIA_GUARDIAN_PICTURE_TIMEOUT", 2))
        now = time.monotonic()
        counts = guardian.frame_counts
        counts.append((now, feed.frames))
        while counts and counts[0][0] < now - timeout:
            counts.popleft()
        out = guardian.out["video"]
        if not guardian.picture_paused and now - feed.last_frame_at > timeout:
            guardian.picture_paused = True
            out.set_source(None)
            out.forget_sent()
            guardian.log.info("no picture from the guardian: sending them voice only")
        elif guardian.picture_paused and now - counts[0][0] >= timeout * 0.75 and all(
                later[1] > earlier[1] for earlier, later in zip(counts, list(counts)[1:])):
            # Frames in every tick of the last `timeout` seconds: a steady picture again, not
            # a burst of old frames released at once (a skipped hole, retransmissions).
            guardian.picture_paused = False
            out.set_source(doctor.feeds.get("video"))
            guardian.log.info("the guardian's picture is back: sending them video again")

    def has_live_peer(self) -> bool:
        return any(p.pc.connectionState in LIVE_STATES for p in self.peers.values())

    def idle_seconds(self) -> float:
        """How long no peer has been connected (0 while one is)."""
        return 0.0 if self.has_live_peer() else time.monotonic() - self.seen_at

    def _count_offer(self, role: str) -> None:
        """At most MEDIA_MAX_OFFERS_PER_MINUTE offers per side: a reconnecting phone needs a
        few, a loop or an abuser no more."""
        now = time.monotonic()
        recent = [t for t in self._offers.get(role, []) if now - t < 60]
        if len(recent) >= int(self.config["MEDIA_MAX_OFFERS_PER_MINUTE"]):
            raise RoomError("too many offers", 429)
        self._offers[role] = [*recent, now]

    # -- signalling ------------------------------------------------------------------
    async def accept_offer(self, role: str, sdp: str, audio_only: bool) -> dict:
        """Answer a complete (non-trickle) offer; replaces the role's previous peer."""
        async with self._lock:
            self._count_offer(role)
            self.seen_at = time.monotonic()
            pc = RTCPeerConnection(ice_configuration(list(self.config["MEDIA_ICE_SERVERS"])))
            peer_id = secrets.token_hex(6)
            peer = Peer(role, pc, peer_id, audio_only, _adapter(self.log, f"{role}:{peer_id}"),
                        self.limits, bool(self.config["MEDIA_FORWARD"]))

            @pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                self._on_track(peer, track)

            @pc.on("connectionstatechange")
            async def on_state() -> None:
                peer.log.info("connection %s", pc.connectionState)

            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
                for transceiver in pc.getTransceivers():
                    kind = transceiver.kind
                    codec = prefer_codec(transceiver, "VP8" if kind == "video" else "opus")
                    if kind == "audio" or not audio_only:
                        sender = pc.addTrack(peer.out[kind])
                        peer.out[kind].attach_sender(sender, codec, peer.log)
                answer = await pc.createAnswer()
                await pc.setLocalDescription(answer)
            except Exception as exc:
                await peer.close()
                raise RoomError(f"bad offer: {exc}", 400) from exc
            old = self.peers.get(role)
            self.peers[role] = peer
            other = self.peers.get(OTHER[role])
            if other is not None:
                for kind, track in other.incoming.items():
                    self._feed(peer, kind, track)
                for kind, track in peer.incoming.items():
                    self._feed(other, kind, track)
            if old is not None:
                old.log.info("replaced by a new offer")
                await old.close()
            peer.log.info("answered (audio only: %s)", audio_only)
            return {"sdp": cap_sdp_bitrate(pc.localDescription.sdp, self._max_bitrate(role)),
                    "type": "answer", "peer_id": peer.peer_id}

    def _on_track(self, peer: Peer, track: MediaStreamTrack) -> None:
        peer.log.info("incoming %s track", track.kind)
        peer.incoming[track.kind] = track
        receiver = next(t.receiver for t in peer.pc.getTransceivers()
                        if t.receiver.track is track)
        # Nothing is decoded on its way: frames are forwarded and recorded as received, and
        # the applicant's pictures are decoded only for a snapshot. The transcoding recorder
        # needs both voices and the applicant's pictures decoded.
        decode = self.transcode_recording and (track.kind == "audio" or peer.role == "guardian")
        feed = peer.feeds[track.kind] = EncodedFeed.install(receiver, decode=decode)
        if decode:
            peer.taps[track.kind] = FrameTap(self.relay.subscribe(track, buffered=False),
                                             peer.log)
        if track.kind == "video" and peer.role == "guardian":
            peer.pictures = PictureSource(
                feed, interval=float(self.config.get("MEDIA_KEYFRAME_INTERVAL", 10)))
        other = self.peers.get(OTHER[peer.role])
        # While `peer` is still being set up, accept_offer feeds the other side itself.
        if other is not None and self.peers.get(peer.role) is peer:
            self._feed(other, track.kind, track)
        self._record(peer, track)

    def _feed(self, receiver: Peer, kind: str, track: MediaStreamTrack) -> None:
        """Send `track` (the other side's) to `receiver`, unless it asked for audio only."""
        if kind == "video" and (receiver.audio_only or receiver.picture_paused):
            return
        source = self.peers.get(OTHER[receiver.role])
        receiver.out[kind].set_source(source.feeds.get(kind) if source is not None else None)

    def _record(self, peer: Peer, track: MediaStreamTrack) -> None:
        if self.recorder is None or (track.kind == "video" and peer.role != "guardian"):
            return
        slot = "video" if track.kind == "video" else f"audio_{peer.role}"
        if self.transcode_recording:
            self.recorder.attach(slot, self.relay.subscribe(track))
        else:
            self.recorder.attach(slot, peer.feeds.get(track.kind))

    async def leave(self, role: str) -> None:
        """Close one side; the room, the other side and the recording go on."""
        async with self._lock:
            peer = self.peers.pop(role, None)
            if peer is None:
                return
            other = self.peers.get(OTHER[role])
            if other is not None:
                for track in other.out.values():
                    track.set_source(None)
            await peer.close()

    # -- recording and snapshots ----------------------------------------------------
    async def start_recording(self, key_prefix: str) -> None:
        """Start recording the applicant's video and both audio streams (idempotent)."""
        async with self._lock:
            if self.recorder is not None:
                return
            if self.spool.read_result() is not None or self.spool.recording.exists():
                raise RoomError("this room already has a recording")
            self.key_prefix = key_prefix
            self.spool.write_meta({"room": self.room_id, "key_prefix": key_prefix,
                                   "started_at": time.time()})
            width, height, fps = self.limits
            log = _adapter(self.log, "recorder")
            if self.transcode_recording:
                self.recorder = Recorder(self.spool.mp4, width, height, fps, log,
                                         preset=self.config["MEDIA_RECORD_PRESET"])
            else:
                self.recorder = PacketRecorder(self.spool.webm, width, height, log)
            for peer in self.peers.values():
                for track in peer.incoming.values():
                    self._record(peer, track)
            self.log.info("recording started")

    async def snapshot(self, key_prefix: str) -> dict:
        """Store the applicant's current frame as a JPEG and describe it."""
        peer = self.peers.get("guardian")
        if peer is None or peer.pictures is None:
            raise RoomError("no video from the applicant")
        try:
            frame, age = await peer.pictures.picture()
        except NoPicture:
            raise RoomError("no video from the applicant") from None
        loop = asyncio.get_running_loop()
        data, width, height = await loop.run_in_executor(None, jpeg, frame, *self.limits[:2])
        stored = await put_bytes(self.store, key_prefix + uuid.uuid4().hex, data, "image/jpeg")
        info = {"key": stored.key, "size": stored.size, "sha256": stored.sha256,
                "width": width, "height": height, "content_type": "image/jpeg",
                "picture_age_ms": round(age * 1000)}
        self.snapshots.append(info)
        self.log.info("snapshot stored (%d bytes, picture %.0f ms old)", stored.size, age * 1000)
        return info

    async def end(self) -> dict:
        """Close both sides, finish and store the recording; the answer for the portal."""
        async with self._lock:
            self._ticker.cancel()
            for role in list(self.peers):
                await self.peers.pop(role).close()
            recording = None
            if self.recorder is not None:
                await self._finish_recording(drain=3.0)
                recording = await upload_spooled(self.store, self.spool)
            self.log.info("room ended")
            return {"recording": recording, "snapshots": self.snapshots}

    async def abandon(self) -> None:
        """Reaped for want of peers: close everything, and leave a recording finished in the
        spool, as after a crash, for the portal's "recover" to store as evidence."""
        async with self._lock:
            self._ticker.cancel()
            for role in list(self.peers):
                await self.peers.pop(role).close()
            if self.recorder is not None:
                await self._finish_recording(drain=1.0)
            self.log.info("room reaped after %.0f s without a peer",
                          time.monotonic() - self.seen_at)

    async def _finish_recording(self, drain: float) -> None:
        await self.recorder.finish(drain=drain)
        if self.recorder.error:
            self.log.error("recording error: %s", self.recorder.error)
        self.spool.mark_closed()
        self.log.info("recording closed: %d video frames", self.recorder.video_frames)

    def describe(self) -> dict:
        """State for GET /rooms/<room>."""
        return {"peers": {role: (self.peers[role].state if role in self.peers else "absent")
                          for role in ROLES},
                "recording": self.recorder is not None}


def _adapter(parent: logging.LoggerAdapter, tag: str) -> logging.LoggerAdapter:
    return _Tagged(parent.logger, {"tag": f"{parent.extra['tag']} {tag}"})


class _Tagged(logging.LoggerAdapter):
    """Prefixes messages with the room tag and connection id (never names or personal data)."""

    def process(self, msg, kwargs):
        return f"[{self.extra['tag']}] {msg}", kwargs


class RoomRegistry:
    """All live rooms of this process."""

    def __init__(self, config: Mapping, store) -> None:
        self.config = config
        self.store = store
        self.rooms: dict[str, Room] = {}

    @staticmethod
    def tag(room_id: str) -> str:
        """A short, stable tag for logs (the room id itself stays out of them)."""
        return "room " + hashlib.sha256(room_id.encode()).hexdigest()[:8]

    def get(self, room_id: str) -> Room | None:
        """The live room, if any."""
        return self.rooms.get(room_id)

    def get_or_create(self, room_id: str) -> Room:
        """The live room, made on first use."""
        room = self.rooms.get(room_id)
        if room is None:
            log = _Tagged(logger, {"tag": self.tag(room_id)})
            room = Room(room_id, self.config, self.store, log)
            self.rooms[room_id] = room
            room.log.info("room opened")
        return room

    async def end(self, room_id: str) -> dict | None:
        """End and forget a room; None if it is not live."""
        room = self.rooms.get(room_id)
        if room is None:
            return None
        try:
            return await room.end()
        finally:
            self.rooms.pop(room_id, None)

    async def recover(self, room_id: str) -> dict | None:
        """Upload what a dead process left in the spool for this room (None: nothing there)."""
        spool = Spool(Path(str(self.config["MEDIA_SPOOL_DIR"])), room_id)
        recording = await upload_spooled(self.store, spool)
        return None if recording is None else {"recording": recording, "snapshots": []}

    async def reap(self) -> list[str]:
        """Close the rooms that have had no connected peer for MEDIA_ROOM_IDLE_SECONDS (never
        joined, or left by everyone); their ids."""
        limit = float(self.config["MEDIA_ROOM_IDLE_SECONDS"])
        reaped = []
        for room_id, room in list(self.rooms.items()):
            if room.idle_seconds() >= limit:
                self.rooms.pop(room_id, None)
                try:
                    await room.abandon()
                except Exception:
                    logger.exception("reaping %s failed", self.tag(room_id))
                reaped.append(room_id)
        return reaped

    async def reap_forever(self) -> None:
        """The service's reaper: looks every few seconds."""
        every = max(1.0, min(30.0, float(self.config["MEDIA_ROOM_IDLE_SECONDS"]) / 4))
        while True:
            await asyncio.sleep(every)
            await self.reap()

    async def close_all(self) -> None:
        """Shutdown: end every room (closing connections, finishing and storing recordings)."""
        for room_id in list(self.rooms):
            try:
                await self.end(room_id)
            except Exception:
                logger.exception("closing %s failed", self.tag(room_id))
