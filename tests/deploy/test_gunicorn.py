"""The documented production command, run for real: `gunicorn -c deploy/gunicorn.conf.py
wsgi:app` with two workers, `flask --app wsgi jobs worker` on Redis, and a media node, on
PostgreSQL when TEST_DATABASE_URL is set (else SQLite). A township staff member signs in over
HTTP, uploads a roster and confirms it; the job worker checks and imports it, and the progress
is seen through requests that the *other* gunicorn worker served (told apart by the pid that
the access log writes beside each request id). `/healthz` and `/readyz` answer 200.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, create_postgres_database, drop_postgres_database
from tests.imports.conftest import SUSPECTED_HEADER, suspected_rows, write_book

requests = pytest.importorskip("requests")

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
ROWS = 3000

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _redis_or_skip():
    try:
        from redis import Redis

        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - any failure to reach it means: no Redis here
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__}): the "
                    "deployment test runs where Redis runs (CI starts it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except requests.RequestException:
            value = None
        if value:
            return value
        time.sleep(0.1)
    tails = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
                      for log in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


class Stack:
    """The processes of a deployment on one machine, each in its own process group."""

    def __init__(self, tmp: Path, environ: dict):
        self.tmp, self.environ, self.processes, self.logs = tmp, environ, [], []

    def start(self, name: str, *command: str) -> subprocess.Popen:
        log = self.tmp / f"{name}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(list(command), cwd=ROOT, env=self.environ, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        self.logs.append(log)
        return process

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def database_url(tmp_path):
    if not os.environ.get("TEST_DATABASE_URL"):
        yield f"sqlite:///{tmp_path / 'portal.sqlite3'}"
        return
    url = create_postgres_database("gunicorn")
    yield url.render_as_string(hide_password=False)
    drop_postgres_database(url)


@pytest.fixture
def stack(tmp_path, database_url):
    _redis_or_skip()
    port, media_port = _free_port(), _free_port()
    environ = {**os.environ, "PORTAL_ENV": "development", "DATABASE_URL": database_url,
               "PORTAL_BIND": f"127.0.0.1:{port}", "PORTAL_WORKERS": "2",
               "PORTAL_INSTANCE_DIR": str(tmp_path / "instance"),
               "IMPORT_DIR": str(tmp_path / "imports"), "EVIDENCE_DIR": str(tmp_path / "evidence"),
               "JOBS_BACKEND": "rq", "REDIS_URL": REDIS_URL,
               "JOBS_QUEUE": f"deploy-{uuid.uuid4().hex[:10]}", "JOBS_HEARTBEAT_SECONDS": "0.2",
               "RATELIMIT_STORAGE_URI": REDIS_URL, "TRUSTED_PROXIES": "1",
               "MEDIA_SERVICE_URL": f"http://127.0.0.1:{media_port}",
               "MEDIA_SHARED_SECRET": "deploy-test-media-secret",
               "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    for name in ("PORTAL_TODAY", "PORTAL_DAYS_AHEAD", "FLASK_APP"):
        environ.pop(name, None)
    bin_dir = Path(sys.executable).parent
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    # The unit's ExecStartPre, then the staff member, as an administrator would add one.
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=environ, check=True,
                   capture_output=True)
    code = _add_staff(database_url)
    running = Stack(tmp_path, environ)
    running.start("media", sys.executable, "-m", "assessment_video", "--host", "127.0.0.1",
                  "--port", str(media_port))
    gunicorn = running.start("gunicorn", str(bin_dir / "gunicorn"), "-c",
                             "deploy/gunicorn.conf.py", "wsgi:app")
    running.start("jobs", *flask, "jobs", "worker")
    running.base, running.code, running.gunicorn = f"http://127.0.0.1:{port}", code, gunicorn
    try:
        _wait(lambda: requests.get(running.base + "/healthz", timeout=2).ok, 60,
              "gunicorn to answer", running.logs)
        yield running
    finally:
        running.stop()
        from redis import Redis

        redis = Redis.from_url(REDIS_URL)
        for key in redis.scan_iter(f"rq:*{environ['JOBS_QUEUE']}*"):
            redis.delete(key)


def _add_staff(url: str) -> str:
    """A township with a village and its staff member, committed (as `flask` commands do)."""
    from portal import create_app
    from portal.auth.services import add_membership, create_user
    from portal.extensions import db
    from portal.reference.models import Township, Village

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        township = Township(code="deploy", name="部署乡", kind="township", position=1)
        db.session.add(township)
        db.session.flush()
        db.session.add(Village(township_id=township.id, name="一村"))
        add_membership(create_user("deploy_staff", PASSWORD), "township_staff", township)
        db.session.commit()
        db.engine.dispose()
    return "deploy"


class Browser:
    """One browser: its own cookies, every request on a new connection (so that either
    gunicorn worker may take it) and with its own request id."""

    def __init__(self, base: str, address: str):
        self.base, self.session = base, requests.Session()
        self.session.headers.update({"Connection": "close", "X-Forwarded-For": address,
                                     "Accept-Language": "zh-CN"})

    def get(self, path: str, **kwargs):
        return self.session.get(self.base + path, headers=self._id(), timeout=30, **kwargs)

    def post(self, path: str, data=None, **kwargs):
        page = self.session.get(self.base + "/auth/login", timeout=30).text
        data = {"csrf_token": CSRF.search(page).group(1), **(data or {})}
        return self.session.post(self.base + path, data=data, headers=self._id(), timeout=60,
                                 allow_redirects=False, **kwargs)

    @staticmethod
    def _id() -> dict:
        return {"X-Request-Id": uuid.uuid4().hex}


def _served_by(log: Path, request_id: str) -> int | None:
    """The gunicorn worker's pid that served `request_id` (from the access log)."""
    found = re.search(rf"rid={request_id} pid=<?(\d+)>?", log.read_text(errors="replace"))
    return int(found.group(1)) if found else None


def test_an_import_runs_through_gunicorn_and_the_job_worker(stack, tmp_path):
    started = time.monotonic()
    gunicorn_log = stack.logs[1]
    assert requests.get(stack.base + "/readyz", timeout=10).status_code == 200, \
        requests.get(stack.base + "/readyz", timeout=10).text

    browser = Browser(stack.base, "10.1.2.3")
    signed_in = browser.post("/auth/login", {"username": "deploy_staff", "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.text[:1000]
    book = write_book(tmp_path / "名单.xlsx", [["名单"], SUSPECTED_HEADER] + suspected_rows(ROWS))
    with open(book, "rb") as fh:
        uploaded = browser.post(f"/t/{stack.code}/imports/new", {"list_kind": "suspected"},
                                files={"file": ("名单.xlsx", fh)})
    assert uploaded.status_code == 302, uploaded.text[:1000]
    page = uploaded.headers["Location"].split("?")[0]
    page = page[page.index("/t/"):]
    _wait(lambda: browser.get(page + "/progress").json()["status"] == "ready", 60,
          "the check by the job worker", stack.logs)
    assert f'id="count-new">{ROWS}<' in browser.get(page).text

    confirmed = browser.post(page + "/confirm")
    assert confirmed.status_code == 302
    confirm_pid = _wait(lambda: _served_by(gunicorn_log, confirmed.headers["X-Request-Id"]),
                        10, "the access log line of the confirmation")
    seen, pids = [], set()

    def finished():
        answer = browser.get(page + "/progress")
        assert answer.status_code == 200
        shown = answer.json()
        seen.append((shown["state"], shown["done"], shown["total"]))
        pids.add(answer.headers["X-Request-Id"])
        return shown["state"] == "done"

    _wait(finished, 60, "the import by the job worker", stack.logs)
    # Keep asking until a progress answer came from the other worker (either may take it).
    _wait(lambda: finished() and any(
        _served_by(gunicorn_log, rid) not in (None, confirm_pid) for rid in pids), 20,
        "a progress answer from the other gunicorn worker", stack.logs)
    assert seen[-1][0] == "done" and ROWS in {total for *_, total in seen}, seen
    assert stack.gunicorn.poll() is None
    # An access log line is written after its answer: wait until every answer's line is there.
    def every_line_written():
        found = {_served_by(gunicorn_log, rid) for rid in pids}
        return None not in found and found

    served = _wait(every_line_written, 10, "the access log lines of the progress answers",
                   stack.logs)
    assert len(served | {confirm_pid}) == 2

    assert "3000" in browser.get(page).text
    engine = sa.create_engine(stack.environ["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM persons")).scalar() == ROWS
        runner = conn.execute(sa.text(
            "SELECT runner FROM jobs WHERE kind = 'roster.import'")).scalar()
    engine.dispose()
    workers = {int(p) for p in re.findall(r"Booting worker with pid: (\d+)",
                                          gunicorn_log.read_text())}
    assert len(workers) == 2
    assert int(runner.rsplit(":", 1)[1]) not in workers | {os.getpid()}  # the job worker's
    assert requests.get(stack.base + "/readyz", timeout=10).json()["status"] == "ok"
    assert time.monotonic() - started < 90
