"""A live portal on a free port (its own SQLite file, migrated and seeded) and headless Chromium.

Skipped with a reason when Chromium or Playwright is missing locally; CI installs both.
"""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from portal.models_base import utcnow
from tests.conftest import TOTP_SECRET, enrol_test_totp

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    # Video assessment pages: a fake camera and microphone, allowed without a prompt.
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
PASSWORD = "browser-test-password-1"
# The live portal signs media-service requests with this; tests/browser/test_video.py starts the
# real media service on MEDIA_PORT with the same secret and the same evidence folder.
MEDIA_SECRET = "browser-test-media-secret"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


MEDIA_PORT = _free_port()


class LiveServer(str):
    """The live portal's base URL, also carrying its app (for tests that prepare data)."""

    app = None


def _require_browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (CI installs it: apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The portal served by a real HTTP server with reference data and one user per role."""
    _require_browser()
    from flask_migrate import upgrade

    from portal import create_app
    from portal.auth.services import add_membership, create_user
    from portal.extensions import db
    from portal.reference.models import Township
    from portal.reference.seed import load_reference

    tmp = tmp_path_factory.mktemp("live")
    app = create_app({
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'live.sqlite3'}",
        "EVIDENCE_DIR": str(tmp / "evidence"),
        "IMPORT_DIR": str(tmp / "imports"),
        # Jobs run inline (the default): tests/jobs/test_rq_worker.py runs them on RQ workers.
        "MEDIA_SERVICE_URL": f"http://127.0.0.1:{MEDIA_PORT}",
        "MEDIA_SHARED_SECRET": MEDIA_SECRET,
        # Every browser test logs in from 127.0.0.1; the per-address login limit is tested in
        # tests/auth, and would otherwise depend on how many browser tests run in a minute.
        "LOGIN_RATE_LIMIT": "1000 per minute",
    })
    with app.app_context():
        upgrade()
        load_reference()
        mangshi = db.session.scalars(db.select(Township).filter_by(code="mangshi")).one()
        for role, township in (("city_admin", None), ("township_staff", mangshi)):
            user = create_user(f"live_{role}", PASSWORD)
            add_membership(user, role, township)
            if role == "city_admin":
                enrol_test_totp(user)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = LiveServer(f"http://127.0.0.1:{server.server_port}")
    url.app = app
    # Join and invite links the browser follows are built from the public address.
    app.config["PUBLIC_BASE_URL"] = str(url)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def phone_page(browser):
    """A page the size of a small phone (375 × 740, touch)."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


# The signed-in cookies of each user of a live server: a later test signs in by taking them
# (the portal's session is a signed cookie, valid until the user's session version changes), so
# the password and the second factor, whose codes are one per 30 s step, are typed once.
_signed_in: dict[tuple[str, str], list] = {}


def log_in(page, base_url: str, username: str) -> None:
    cookies = _signed_in.get((base_url, username))
    if cookies:
        page.context.clear_cookies()
        page.context.add_cookies(cookies)
        page.goto(f"{base_url}/")
        if "/auth/" not in page.url:
            return
        page.context.clear_cookies()
    _type_log_in(page, base_url, username)
    if "/auth/" not in page.url:
        _signed_in[(base_url, username)] = page.context.cookies()


def _type_log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")
    if page.url.endswith("/auth/second-factor"):
        page.get_by_label("身份验证器应用中的验证码，或恢复码").fill(_unused_code(username))
        page.get_by_role("button", name="继续").click()
        page.wait_for_load_state("networkidle")


_used_steps: dict[str, int] = {}


def _unused_code(username: str) -> str:
    """A code of the test key the portal has not seen from this user (it refuses reuse):
    the current step's, else the next one's (accepted within the window)."""
    import time

    import pyotp

    totp = pyotp.TOTP(TOTP_SECRET)
    while True:
        current = totp.timecode(utcnow())
        step = max(current, _used_steps.get(username, -1) + 1)
        if step <= current + 1:  # the portal accepts the current step and the next one only
            break
        # Both usable steps were spent by earlier log-ins: wait for the next step to begin.
        time.sleep(totp.interval - time.time() % totp.interval + 0.05)
    _used_steps[username] = step
    return totp.generate_otp(step)


def add_video_case(township, *, doctor, created_by, name: str, pinyin: str, initials: str,
                   born, seq: int):
    """A person of `township` and their registered case on the video path, assessed by
    `doctor` (in the caller's app context; committed by the caller). Returns the case."""
    from portal.cases.models import Case
    from portal.domain import idcard
    from portal.extensions import db
    from portal.rosters.models import Person

    parsed = idcard.parse(idcard.make("533103", born, seq))
    person = Person(township_id=township.id, name=name, name_pinyin=pinyin,
                    name_initials=initials, gender=parsed.gender, id_number=parsed.number,
                    id_reversed=parsed.number[::-1], birth_date=parsed.birth_date)
    db.session.add(person)
    db.session.flush()
    case = Case(township_id=township.id, person_id=person.id, kind="issue", path="video",
                state="registered", requested_category="physical",
                created_by_id=created_by.id, doctor_id=doctor.id)
    db.session.add(case)
    return case
