"""A fake media service honouring the contract (signed requests only), and a case with its doctor.

The fake runs on a real port so that the portal's signed HTTP requests are exercised end to end;
it records every call so that tests can assert what the portal sent, and when.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from assessment_video.signing import NONCE_HEADER, Verifier, sign_answer

SECRET = "video-test-secret-0123456789"
ROOM = re.compile(r"^/rooms/([A-Za-z0-9_-]+)(/.*)?$")


class FakeMedia:
    """Answers the contract's endpoints; `calls` lists (endpoint, room, body) in order."""

    def __init__(self):
        self.verifier = Verifier(SECRET)
        self.calls: list[tuple[str, str, dict]] = []
        self.rooms: dict[str, dict] = {}
        self.refused: list[str] = []
        self.offer_status = 200  # 429: the node's limit of offers per minute was reached
        self.unsigned_answers = False  # the tests' stand-in for a forged media node
        self.tamper_answers = False

    def _object(self, prefix: str, content: bytes, content_type: str, **extra) -> dict:
        return {"key": prefix + uuid.uuid4().hex, "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(), "content_type": content_type,
                **extra}

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        problem = self.verifier.check(request.method, request.path, body, request.headers)
        if problem:
            self.refused.append(problem)
            return self._answer(request, {"error": problem}, 401)(environ, start_response)
        match = ROOM.match(request.path)
        if not match:
            return self._answer(request, {}, 404)(environ, start_response)
        room_id, action = match.group(1), (match.group(2) or "").lstrip("/")
        data = json.loads(body or b"{}")
        self.calls.append((action or "state", room_id, data))
        room = self.rooms.get(room_id)
        status, answer = 200, {}
        if action == "offer" and self.offer_status != 200:
            status, answer = self.offer_status, {"error": "too many offers"}
        elif action == "offer":
            room = self.rooms.setdefault(room_id, {"peers": {}, "recording": None,
                                                   "snapshots": [], "prefix": None})
            room["peers"][data["role"]] = "connected"
            answer = {"sdp": "v=0 answer for " + data["role"], "type": "answer",
                      "peer_id": uuid.uuid4().hex}
        elif room is None:
            status, answer = 404, {"error": "no such room"}
        elif action == "leave":
            room["peers"].pop(data["role"], None)
            answer = {"ok": True}
        elif action == "recording/start":
            room["recording"] = data["key_prefix"]
            answer = {"recording": True}
        elif action == "snapshot":
            shot = self._object(data["key_prefix"], b"\xff\xd8jpeg" + uuid.uuid4().bytes,
                                "image/jpeg", width=640, height=480)
            room["snapshots"].append(shot)
            answer = shot
        elif action in ("end", "recover"):
            recording = None
            if room["recording"]:
                recording = self._object(room["recording"], b"webm" * 1000, "video/webm",
                                         duration_seconds=12.4, video_frames=186, audio=True)
            answer = {"recording": recording, "snapshots": room["snapshots"]}
            del self.rooms[room_id]
        elif action == "":
            answer = {"peers": room["peers"], "recording": bool(room["recording"])}
        return self._answer(request, answer, status)(environ, start_response)

    def _answer(self, request, payload, status):
        """A JSON answer signed for the request it answers, as the real media service does."""
        body = json.dumps(payload).encode()
        if self.unsigned_answers:
            headers = {}
        else:
            headers = sign_answer(SECRET, request.headers.get(NONCE_HEADER, ""), status, body)
            if self.tamper_answers:
                body = body.replace(b"answer for", b"answer FOR")
        return Response(body, status, content_type="application/json", headers=headers)

    def actions(self) -> list[str]:
        return [c[0] for c in self.calls]


@pytest.fixture
def media(app, monkeypatch):
    """The fake media service on a free port, configured as the portal's media node."""
    fake = FakeMedia()
    server = make_server("127.0.0.1", 0, fake, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setitem(app.config, "MEDIA_SERVICE_URL", fake.url)
    monkeypatch.setitem(app.config, "MEDIA_SHARED_SECRET", SECRET)
    yield fake
    server.shutdown()


@pytest.fixture
def video_case(db_session, make_township, make_user, make_person):
    """A township with a case assessed by `doctor`; another doctor with a case of their own."""
    from portal.cases.models import Case

    township = make_township()
    staff = make_user("township_staff", township)
    doctor = make_user("doctor")
    other_doctor = make_user("doctor")

    def case_for(doc, name):
        person = make_person(township, name=name)
        case = Case(township_id=township.id, person_id=person.id, kind="issue", path="video",
                    state="registered", requested_category="physical",
                    created_by_id=staff.id, doctor_id=doc.id)
        db_session.add(case)
        db_session.flush()
        return case

    case = case_for(doctor, "李四")
    other_case = case_for(other_doctor, "王五")
    return {"township": township, "staff": staff, "doctor": doctor, "case": case,
            "other_doctor": other_doctor, "other_case": other_case}


def local_input(moment: datetime) -> str:
    """A moment as the schedule form's local (Asia/Shanghai) datetime-local value."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def soon() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=10)
