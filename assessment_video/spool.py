"""A room's files in MEDIA_SPOOL_DIR, and storing its recording as evidence (once).

The recording is written to the spool as it is made; when the room ends (or, after a crash,
when the portal asks to recover it) it is made whole, measured (duration, video frames,
audio), stored in the evidence store and the answer kept, so a second request repeats it.
Recordings are WebM (packets as received, `remux.py`) or, with MEDIA_RECORD_MODE=transcode,
fragmented MP4 (`recording.py`); a spool written by either is recovered by its own repair.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import os
import struct
import uuid
from pathlib import Path

import av

from .remux import repair_webm
from .timeline import opus_samples

logger = logging.getLogger("assessment_video")
CONTENT_TYPES = {".webm": "video/webm", ".mp4": "video/mp4"}


def probe_recording(path: Path) -> dict:
    """Duration (all tracks), video frame count and audio presence, read from the file."""
    video_frames = 0
    audio = False
    start: float | None = None
    end = 0.0
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.size == 0 or packet.pts is None:
                continue
            duration = float((packet.duration or 0) * packet.time_base)
            if packet.stream.type == "audio":
                audio = True
                if not duration and packet.stream.codec_context.name == "opus":
                    duration = opus_samples(bytes(packet)) / 48000
            elif packet.stream.type == "video":
                video_frames += 1
            else:
                continue
            at = float(packet.pts * packet.time_base)
            start = at if start is None else min(start, at)
            end = max(end, at + duration)
    duration = round(end - (start or 0.0), 3) if start is not None else 0.0
    return {"duration_seconds": duration, "video_frames": video_frames, "audio": audio}


def trim_incomplete_tail(path: Path) -> int:
    """Cut a half-written last fragment (after a crash); returns the kept size in bytes."""
    size = path.stat().st_size
    kept = 0
    last_moof = None
    with path.open("rb") as fh:
        offset = 0
        while offset + 8 <= size:
            fh.seek(offset)
            box_size, box_type = struct.unpack(">I4s", fh.read(8))
            if box_size == 1:
                header = fh.read(8)
                if len(header) < 8:
                    break
                box_size = struct.unpack(">Q", header)[0]
            elif box_size == 0:
                box_size = size - offset
            if box_size < 8 or offset + box_size > size:
                break
            if box_type == b"moof":
                last_moof = offset
            elif box_type == b"mdat":
                last_moof = None
            offset += box_size
            kept = offset
    if last_moof is not None:
        kept = last_moof
    if kept < size:
        with path.open("r+b") as fh:
            fh.truncate(kept)
    return kept


class Spool:
    """Files of one room in MEDIA_SPOOL_DIR: the recording, its metadata and its result."""

    def __init__(self, spool_dir: Path, room_id: str) -> None:
        name = hashlib.sha256(room_id.encode()).hexdigest()[:32]
        self.webm = spool_dir / f"{name}.webm"
        self.mp4 = spool_dir / f"{name}.mp4"
        self.meta = spool_dir / f"{name}.json"
        self.result = spool_dir / f"{name}.result.json"

    @property
    def recording(self) -> Path:
        """The spooled recording (WebM unless only an MP4 is there)."""
        return self.mp4 if self.mp4.exists() and not self.webm.exists() else self.webm

    def write_meta(self, data: dict) -> None:
        """Remember what the recording is for (read back by `recover`)."""
        self.meta.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.meta.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.meta)

    def read_meta(self) -> dict | None:
        """The metadata written at recording start, if any."""
        return json.loads(self.meta.read_text()) if self.meta.exists() else None

    def mark_closed(self) -> None:
        """The recorder closed the file itself (no repair needed)."""
        meta = self.read_meta()
        if meta is not None:
            self.write_meta({**meta, "closed": True})

    def write_result(self, data: dict) -> None:
        """Keep the answer given for an uploaded recording; drop the spooled media."""
        tmp = self.result.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.result)
        self.webm.unlink(missing_ok=True)
        self.mp4.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)

    def read_result(self) -> dict | None:
        """The answer already given for this room's recording, if any."""
        return json.loads(self.result.read_text()) if self.result.exists() else None


def make_whole(path: Path, closed: bool) -> int:
    """Repair a recording a crash cut (WebM: copy its complete packets; MP4: trim the last
    fragment); the bytes kept (0: nothing usable)."""
    if path.suffix == ".mp4":
        return trim_incomplete_tail(path)
    if not closed:
        try:
            if repair_webm(path) == 0:
                return 0
        except av.error.FFmpegError as exc:
            logger.error("spooled recording unreadable: %s", exc)
            return 0
    return path.stat().st_size


async def upload_spooled(store, spool: Spool) -> dict | None:
    """Upload a room's spooled recording (made whole, probed) once; later calls repeat the
    answer."""
    done = spool.read_result()
    if done is not None:
        return done
    meta = spool.read_meta()
    path = spool.recording
    if meta is None or not path.exists():
        return None
    loop = asyncio.get_running_loop()
    size = await loop.run_in_executor(None, make_whole, path, bool(meta.get("closed")))
    if size == 0:
        spool.write_result({})
        return None
    try:
        facts = await loop.run_in_executor(None, probe_recording, path)
    except av.error.FFmpegError as exc:
        logger.error("spooled recording unreadable: %s", exc)
        return None
    content_type = CONTENT_TYPES[path.suffix]

    def put():
        with path.open("rb") as fh:
            return store.put(meta["key_prefix"] + uuid.uuid4().hex, fh, content_type=content_type)

    stored = await loop.run_in_executor(None, put)
    result = {"key": stored.key, "size": stored.size, "sha256": stored.sha256,
              "content_type": content_type, **facts}
    spool.write_result(result)
    return result


async def put_bytes(store, key: str, data: bytes, content_type: str):
    """Store `data` under `key` (off the event loop)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        None, lambda: store.put(key, io.BytesIO(data), content_type=content_type))
