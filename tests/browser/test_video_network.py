"""Video assessments over bad networks, between real browsers through the live portal and the
real media service. The guardian's Chromium runs in its own network namespace (tests/browser/
netlab.py):

- a weak link: 300 kbit/s each way (tc tbf), 150 ms added each way and 2 % of datagrams lost
  (a relay of the test's own), for 60 s; then under 100 kbit/s, where the guardian's page goes
  to voice only by itself, and back to 300 kbit/s, where the picture comes back by itself;
- UDP blocked (nftables): the guardian reaches the media service through coturn over TCP and
  over TLS, with the per-session TURN credentials the portal issues.

Figures are printed (run with -s to read them).
"""
from __future__ import annotations

import io
import itertools
import shutil
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import av
import pytest
from PIL import Image, ImageStat
from werkzeug.serving import make_server

from tests.browser.conftest import CHROMIUM_ARGS, PASSWORD, add_video_case, log_in
from tests.browser.netlab import GuardianNet, relay_answer, require_netlab
from tests.browser.test_video import _consent, _wait_until, media_service  # noqa: F401

CAPTURE_PEERS = """(() => {
  const Original = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Original(...args); window.__pcs.push(pc); return pc; };
  window.RTCPeerConnection.prototype = Original.prototype;
})();"""
STATS = """async () => {
  const pc = window.__pcs[window.__pcs.length - 1];
  if (!pc) { return null; }
  const report = await pc.getStats();
  const out = {at: performance.now() / 1000, state: pc.connectionState};
  let local = null;
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      out.video_in_bytes = s.bytesReceived; out.frames_decoded = s.framesDecoded || 0;
      out.height = s.frameHeight || 0; out.rtx_in = s.retransmittedBytesReceived; }
    if (s.type === 'inbound-rtp' && s.kind === 'audio') {
      out.audio_in_bytes = s.bytesReceived; out.audio_packets = s.packetsReceived; }
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      out.video_out_bytes = s.bytesSent; out.frames_sent = s.framesSent || 0; }
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
      out.estimate = s.availableOutgoingBitrate; out.rtt = s.currentRoundTripTime;
      local = s.localCandidateId; }
  });
  report.forEach((s) => {
    if (s.id === local) { out.candidate = s.candidateType; out.relay = s.relayProtocol || null; }
  });
  return out;
}"""


@pytest.fixture
def net(tmp_path):
    require_netlab("nft")
    with GuardianNet(tmp_path) as guardian_net:
        yield guardian_net


@pytest.fixture
def guardian_portal(live_server, net):
    """The same live portal, also served on the host's side of the guardian's link."""
    server = make_server(net.host_ip, 0, live_server.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{net.host_ip}:{server.server_port}"
    server.shutdown()


@pytest.fixture
def guardian_browser(browser, net, guardian_portal):
    """Chromium started inside the guardian's namespace (fake camera and microphone)."""
    instance = browser.browser_type.launch(
        executable_path=str(net.chromium_wrapper), headless=True,
        args=[*CHROMIUM_ARGS, f"--unsafely-treat-insecure-origin-as-secure={guardian_portal}",
              "--ignore-certificate-errors"])
    yield instance
    instance.close()


_cases = iter(range(1, 1000))


@pytest.fixture
def video_case(live_server):
    """A doctor and a case of theirs in Mangshi, on the video path (one per test)."""
    from datetime import date

    from portal.auth.services import add_membership, create_user
    from portal.extensions import db
    from portal.reference.models import Township
    from tests.conftest import enrol_test_totp

    n = next(_cases)
    with live_server.app.app_context():
        township = db.session.scalars(db.select(Township).filter_by(code="mangshi")).one()
        doctor = create_user(f"net_doctor_{n}", PASSWORD)
        add_membership(doctor, "doctor", None)
        enrol_test_totp(doctor)
        case = add_video_case(township, doctor=doctor, created_by=doctor, name="网络测试",
                              pinyin="wang luo ce shi", initials="wlcs",
                              born=date(1951, 4, 5), seq=60 + n)
        db.session.commit()
        return {"case_id": case.id, "doctor": doctor.username}


def _open_session(doctor, guardian, live_server, guardian_portal, case, before_admit=None):
    """Doctor schedules and opens the room, the guardian joins, is admitted, both consent."""
    from portal.extensions import limiter

    with live_server.app.app_context():
        limiter.reset()
    log_in(doctor, live_server, case["doctor"])
    doctor.goto(f"{live_server}/t/mangshi/video/cases/{case['case_id']}")
    when = (datetime.now(UTC) + timedelta(minutes=5)).astimezone(ZoneInfo("Asia/Shanghai"))
    doctor.locator("#scheduled_at").fill(when.strftime("%Y-%m-%dT%H:%M"))
    doctor.locator("form:has(#scheduled_at) button[type=submit]").click()
    doctor.wait_for_load_state("networkidle")
    join_url = doctor.locator("input.join-link").first.input_value()
    room_link = doctor.locator("a[href*='/video/']").filter(has_not_text="#").first
    doctor.goto(live_server + room_link.get_attribute("href"))
    path = join_url.split("/", 3)[3]
    guardian.goto(f"{guardian_portal}/{path}")
    guardian.locator("main form button[type=submit]").click()
    guardian.wait_for_url("**/room")
    if before_admit is not None:
        before_admit()
    admit = doctor.locator("#video-admit-form button")
    admit.wait_for(state="visible", timeout=15000)
    admit.click()
    guardian.locator("#video-consent-dialog").wait_for(state="visible", timeout=20000)
    _consent(guardian, "李家属")
    _consent(doctor, "赵医生")
    doctor.locator("#video-recording").wait_for(state="visible", timeout=20000)


def _stats(page) -> dict:
    return page.evaluate(STATS) or {}


class Sampler:
    """Rates between two readings of a page's getStats()."""

    def __init__(self, page) -> None:
        self.page = page
        self.last = _stats(page)

    def step(self) -> dict:
        now = _stats(self.page)
        last, self.last = self.last, now
        span = max(0.001, now.get("at", 0) - last.get("at", 0))

        def rate(key, scale=1.0):
            return round((now.get(key, 0) - last.get(key, 0)) * scale / span, 1)

        return {**now, "video_in_kbps": rate("video_in_bytes", 8 / 1000),
                "audio_in_kbps": rate("audio_in_bytes", 8 / 1000),
                "video_out_kbps": rate("video_out_bytes", 8 / 1000),
                "fps_in": rate("frames_decoded"), "fps_out": rate("frames_sent")}


def _recording(live_server, case_id):
    """The stored recording of the case (bytes) and its measured frame count."""
    from portal.evidence.models import Evidence
    from portal.extensions import db
    from portal.storage import make_store
    from portal.video.models import VideoMedia

    app = live_server.app
    with app.app_context():
        evidence = db.session.scalars(db.select(Evidence).filter_by(
            case_id=case_id, kind="recording")).one()
        measured = db.session.scalars(db.select(VideoMedia).filter_by(
            evidence_id=evidence.id)).one()
        with make_store(app.config).open(evidence.object_key) as stored:
            return stored.read(), measured


def _snapshot(live_server, case_id):
    """The snapshot kept as evidence of the case, as a picture."""
    from portal.evidence.models import Evidence
    from portal.extensions import db
    from portal.storage import make_store

    app = live_server.app
    with app.app_context():
        evidence = db.session.scalars(db.select(Evidence).filter_by(
            case_id=case_id, kind="snapshot")).one()
        with make_store(app.config).open(evidence.object_key) as stored:
            return Image.open(io.BytesIO(stored.read()))


def _tracks(data: bytes) -> dict:
    """Per track (by title and kind): packet times in seconds."""
    times: dict[str, list[float]] = {}
    with av.open(io.BytesIO(data)) as container:
        names = {s.index: f"{s.type}:{s.metadata.get('title', s.index)}"
                 for s in container.streams}
        for packet in container.demux():
            if packet.pts is None or packet.size == 0:
                continue
            times.setdefault(names[packet.stream.index], []).append(
                float(packet.pts * packet.time_base))
    return {name: sorted(t) for name, t in times.items()}


def _longest_gap(times: list[float]) -> float:
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def _end(doctor, guardian):
    doctor.on("dialog", lambda d: d.accept())
    doctor.locator("#video-end-form button").click()
    _wait_until(lambda: guardian.locator("#video-room").get_attribute("data-state") == "ended",
                "the guardian's page sees the end", 60)


def test_weak_link_holds_and_falls_back_to_voice_only(
        browser, guardian_browser, live_server, guardian_portal, media_service,  # noqa: F811
        net, video_case):
    relays = []

    def relay_route(route):
        response = route.fetch()
        body = response.json()
        if response.ok and body.get("sdp"):
            body["sdp"] = relay_answer(body["sdp"], net.host_ip, 0.150, 0.02, relays)
        route.fulfill(response=response, json=body)

    doctor_ctx = browser.new_context(locale="zh-CN")
    guardian_ctx = guardian_browser.new_context(locale="zh-CN", has_touch=True,
                                                viewport={"width": 375, "height": 740})
    for ctx in (doctor_ctx, guardian_ctx):
        ctx.add_init_script(CAPTURE_PEERS)
    guardian_ctx.route("**/offer", relay_route)
    doctor, guardian = doctor_ctx.new_page(), guardian_ctx.new_page()
    net.only_udp_through(range(20100, 20400))
    try:
        _open_session(doctor, guardian, live_server, guardian_portal, video_case,
                      before_admit=lambda: net.shape(300))
        _wait_until(lambda: (_stats(doctor).get("frames_decoded") or 0) > 10,
                    "the doctor sees the guardian", 30)
        assert relays and relays[-1].forwarded > 100  # the media takes the relayed path
        # 60 s at 300 kbit/s, 150 ms each way, 2 % loss.
        at_doctor, at_guardian = Sampler(doctor), Sampler(guardian)
        steps = []
        for _ in range(12):
            time.sleep(5)
            d, g = at_doctor.step(), at_guardian.step()
            steps.append((d, g))
            print(f"300k: doctor receives {d['video_in_kbps']} kbit/s video at {d['fps_in']} "
                  f"fps ({d.get('height')} lines); guardian sends {g['video_out_kbps']} kbit/s "
                  f"(estimate {g.get('estimate')}, rtt {g.get('rtt')}), receives "
                  f"{g['video_in_kbps']} kbit/s video, {g['audio_in_kbps']} kbit/s voice; "
                  f"page {guardian.locator('#video-room').get_attribute('data-uplink')}")
        assert all(g["state"] == "connected" for _, g in steps)
        # Frames keep arriving in every 5 s (the first keyframe of a 300 kbit/s link may
        # take a second), and at nearly the camera's rate over the minute.
        rates = [d["fps_in"] for d, _ in steps]
        assert min(rates) >= 2 and sum(rates) / len(rates) >= 12, rates
        assert guardian.locator("#video-room").get_attribute("data-uplink") == "video"
        for d, g in steps:  # the doctor's picture is capped: the guardian's link has room
            assert g["video_in_kbps"] <= 200, g
        # The doctor takes a snapshot on the weak link: it is kept, and shows the applicant.
        doctor.locator("#video-snapshot-form button").click()
        _wait_until(lambda: doctor.locator("#video-notice").text_content(), "snapshot kept", 20)

        # Under 100 kbit/s: the guardian's page goes to voice only by itself, and says so.
        net.shape(80)
        weak_at = time.monotonic()
        _wait_until(lambda: guardian.locator("#video-room").get_attribute("data-uplink")
                    == "paused", "the guardian's page pauses the camera", 40)
        to_voice = time.monotonic() - weak_at
        notice = guardian.locator("#video-notice").text_content()
        assert notice.startswith("网络较弱"), notice
        at_doctor.step()
        at_guardian.step()
        weak_steps = []
        for _ in range(5):
            time.sleep(2)
            d, g = at_doctor.step(), at_guardian.step()
            weak_steps.append((d, g))
            print(f"80k: voice only after {to_voice:.1f} s; doctor receives "
                  f"{d['video_in_kbps']} kbit/s video at {d['fps_in']} fps; guardian receives "
                  f"{g['video_in_kbps']} kbit/s video at {g['fps_in']} fps (retransmitted "
                  f"{g.get('rtx_in')} bytes so far), {g['audio_in_kbps']} kbit/s voice, "
                  f"sends {g['video_out_kbps']} kbit/s video (estimate {g.get('estimate')})")
        # No picture either way once what was in flight is through: the service notices the
        # guardian's picture has stopped after 2 s, then their downlink drains.
        assert sum(d["fps_in"] for d, _ in weak_steps[1:]) <= 1, weak_steps
        assert sum(g["fps_in"] for _, g in weak_steps[3:]) <= 1, weak_steps
        assert g["audio_in_kbps"] > 10 and g["state"] == "connected"

        # The link recovers: the picture comes back by itself.
        net.shape(300)
        better_at = time.monotonic()
        _wait_until(lambda: guardian.locator("#video-room").get_attribute("data-uplink")
                    == "video", "the guardian's camera comes back", 60)
        to_video = time.monotonic() - better_at
        assert guardian.locator("#video-notice").text_content() == "网络已好转，摄像头已重新打开。"
        time.sleep(3)
        at_doctor.step()
        time.sleep(4)
        d = at_doctor.step()
        print(f"300k again: picture back after {to_video:.1f} s; doctor receives "
              f"{d['video_in_kbps']} kbit/s video at {d['fps_in']} fps")
        assert d["fps_in"] >= 3
        _end(doctor, guardian)
    finally:
        doctor_ctx.close()
        guardian_ctx.close()
        for relay in relays:
            relay.close()

    picture = _snapshot(live_server, video_case["case_id"])
    shade = ImageStat.Stat(picture.convert("L"))
    print(f"snapshot on the weak link: {picture.width}×{picture.height}, "
          f"brightness {shade.mean[0]:.0f} ± {shade.stddev[0]:.0f}")
    # The applicant's camera picture (the fake camera draws a pattern on it), not a blank
    # or black frame: its size is the camera's and it has the camera's contrast.
    assert picture.height >= 120 and shade.stddev[0] > 10 and 15 < shade.mean[0] < 240

    data, measured = _recording(live_server, video_case["case_id"])
    tracks = _tracks(data)
    voice = next(t for name, t in tracks.items() if name == "audio:applicant")
    video = next(t for name, t in tracks.items() if name.startswith("video"))
    gap = _longest_gap(voice)
    print(f"recording: {measured.duration_seconds:.1f} s, {measured.video_frames} frames, "
          f"guardian's voice {len(voice)} packets, longest gap {gap:.2f} s; relays forwarded "
          f"{sum(r.forwarded for r in relays)} and dropped {sum(r.dropped for r in relays)}")
    assert gap <= 1.0
    assert measured.duration_seconds >= 70
    assert measured.video_frames == len(video) >= 300


TLS_RELAY = """async (servers) => {
  const pc = new RTCPeerConnection({iceServers: servers, iceTransportPolicy: 'relay'});
  pc.createDataChannel('probe');
  const found = [];
  pc.onicecandidate = (e) => { if (e.candidate) { found.push(
    {type: e.candidate.type, relay: e.candidate.relayProtocol}); } };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => { const t = setTimeout(done, 8000);
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(t); done(); } }; });
  pc.close();
  return found;
}"""


@pytest.fixture
def coturn(net, tmp_path):
    """coturn as docs/deploy.md sets it up (TURN REST API secret, TCP and TLS), on the host's
    side of the guardian's link; a test certificate for TLS."""
    binary, openssl = shutil.which("turnserver"), shutil.which("openssl")
    if binary is None or openssl is None:
        pytest.skip("coturn or openssl is not installed (CI installs them)")
    cert, key = tmp_path / "turn.pem", tmp_path / "turn.key"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=turn.test", "-addext", f"subjectAltName=IP:{net.host_ip}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind((net.host_ip, 0))
            ports.append(sock.getsockname()[1])
    secret = "turn-rest-test-secret"
    process = subprocess.Popen([
        binary, "-n", f"--listening-ip={net.host_ip}", f"--relay-ip={net.host_ip}",
        f"--listening-port={ports[0]}", f"--tls-listening-port={ports[1]}",
        f"--cert={cert}", f"--pkey={key}", "--use-auth-secret",
        f"--static-auth-secret={secret}", "--realm=turn.test", "--no-dtls", "--no-cli",
        "--fingerprint", "--min-port=49400", "--max-port=49600",
        f"--pidfile={tmp_path / 'turn.pid'}", f"--log-file={tmp_path / 'turn.log'}",
        "--no-stdout-log"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection((net.host_ip, ports[1]), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and process.poll() is None, "coturn did not start"
            time.sleep(0.1)
    yield {"tcp": f"turn:{net.host_ip}:{ports[0]}?transport=tcp",
           "tls": f"turns:{net.host_ip}:{ports[1]}?transport=tcp", "secret": secret,
           "log": tmp_path / "turn.log"}
    process.terminate()
    process.wait(10)


def test_udp_blocked_guardian_goes_through_turn_over_tcp_and_tls(
        browser, guardian_browser, live_server, guardian_portal, media_service, net, coturn,  # noqa: F811
        video_case):
    config = live_server.app.config
    saved = {k: config.get(k) for k in ("TURN_URLS", "TURN_SHARED_SECRET")}
    config.update(TURN_URLS=[coturn["tcp"], coturn["tls"]], TURN_SHARED_SECRET=coturn["secret"])
    net.block_udp()
    doctor_ctx = browser.new_context(locale="zh-CN")
    guardian_ctx = guardian_browser.new_context(locale="zh-CN", has_touch=True,
                                                viewport={"width": 375, "height": 740})
    for ctx in (doctor_ctx, guardian_ctx):
        ctx.add_init_script(CAPTURE_PEERS)
    doctor, guardian = doctor_ctx.new_page(), guardian_ctx.new_page()
    try:
        _open_session(doctor, guardian, live_server, guardian_portal, video_case)
        servers = guardian.evaluate(
            "JSON.parse(document.getElementById('video-room').dataset.iceServers)")
        turn = servers[-1]
        # Credentials of the TURN REST API, issued for this page: no static password.
        expiry, label = turn["username"].split(":", 1)
        assert label == f"video-{guardian.url.split('/')[-2]}-guardian"
        assert 0 < int(expiry) - time.time() <= config["TURN_CREDENTIAL_SECONDS"] + 60
        _wait_until(lambda: (_stats(doctor).get("frames_decoded") or 0) > 10,
                    "the doctor sees the guardian through TURN", 40)
        g = _stats(guardian)
        assert (g["candidate"], g["relay"]) == ("relay", "tcp"), g
        at_doctor, at_guardian = Sampler(doctor), Sampler(guardian)
        time.sleep(12)
        d, g = at_doctor.step(), at_guardian.step()
        print(f"UDP blocked, TURN over TCP: doctor receives {d['video_in_kbps']} kbit/s video "
              f"at {d['fps_in']} fps; guardian receives {g['fps_in']} fps")
        assert d["fps_in"] >= 8 and g["fps_in"] >= 8
        # TLS: the same credentials give a relay over TLS from this UDP-less network.
        tls_only = [{"urls": [coturn["tls"]], "username": turn["username"],
                     "credential": turn["credential"]}]
        found = guardian.evaluate(TLS_RELAY, tls_only)
        assert {"type": "relay", "relay": "tls"} in found, found
        wrong = [{**tls_only[0], "credential": "d3Jvbmc="}]
        assert not guardian.evaluate(TLS_RELAY, wrong)  # coturn checks the secret
        _end(doctor, guardian)
    finally:
        doctor_ctx.close()
        guardian_ctx.close()
        config.update(saved)
    _data, measured = _recording(live_server, video_case["case_id"])
    print(f"recording through TURN: {measured.duration_seconds:.1f} s, "
          f"{measured.video_frames} frames")
    assert measured.video_frames >= 100 and measured.duration_seconds >= 10
