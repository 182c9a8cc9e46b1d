"""Fixtures of the queue tests: a database whose transactions really commit, two app objects
on it (two web workers), Redis, and real `flask jobs worker` processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db
from tests.conftest import (
    BACKENDS,
    PASSWORD,
    IsolatedClient,
    create_postgres_database,
    csrf_token,
    drop_postgres_database,
)

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_or_skip():
    try:
        from redis import Redis

        connection = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        connection.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to reach it means: no Redis here
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__}): the RQ "
                    "backend is tested where Redis runs (CI starts it)")
    return connection


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def queue_env(request, tmp_path_factory):
    """A committed database, the settings shared by the web apps and the workers, Redis."""
    if request.param not in BACKENDS:
        pytest.skip("PostgreSQL queue tests need TEST_DATABASE_URL")
    redis = _redis_or_skip()
    tmp = tmp_path_factory.mktemp(f"queue-{request.param}")
    pg_url = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'queue.sqlite3'}"
    else:
        pg_url = create_postgres_database("queue")
        url = pg_url.render_as_string(hide_password=False)
    settings = {
        "SQLALCHEMY_DATABASE_URI": url, "IMPORT_DIR": str(tmp / "imports"),
        "EVIDENCE_DIR": str(tmp / "evidence"), "JOBS_BACKEND": "rq", "REDIS_URL": REDIS_URL,
        "JOBS_QUEUE": f"test-{uuid.uuid4().hex[:10]}", "JOBS_HEARTBEAT_SECONDS": 0.2,
        "JOBS_STALE_SECONDS": 3, "JOBS_MAINTENANCE_SECONDS": 1,
    }
    first = _web_app(settings)
    with first.app_context():
        upgrade()
    env = SimpleNamespace(backend=request.param, settings=settings, tmp=tmp, redis=redis,
                          web=[first, _web_app(settings)], workers=[])
    yield env
    for worker in env.workers:
        stop_worker(worker)
    for key in redis.scan_iter(f"rq:*{settings['JOBS_QUEUE']}*"):
        redis.delete(key)
    for app in env.web:
        with app.app_context():
            db.engine.dispose()
    if pg_url is not None:
        drop_postgres_database(pg_url)


def _web_app(settings: dict):
    app = create_app({"ENV_NAME": "testing", **settings})
    app.test_client_class = IsolatedClient
    return app


def start_worker(env, *extra: str) -> subprocess.Popen:
    """`flask --app wsgi jobs worker` in a process of its own, configured from the environment
    as in production."""
    settings = env.settings
    environ = {**os.environ, "PORTAL_ENV": "development",
               "DATABASE_URL": settings["SQLALCHEMY_DATABASE_URI"],
               "PORTAL_INSTANCE_DIR": str(env.tmp / "instance"),
               **{key: str(settings[key]) for key in (
                   "IMPORT_DIR", "EVIDENCE_DIR", "JOBS_BACKEND", "REDIS_URL", "JOBS_QUEUE",
                   "JOBS_HEARTBEAT_SECONDS", "JOBS_STALE_SECONDS",
                   "JOBS_MAINTENANCE_SECONDS")}}
    environ.pop("PORTAL_TODAY", None)
    environ.pop("PORTAL_DAYS_AHEAD", None)
    log = env.tmp / f"worker-{len(env.workers)}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker",
             "--without-scheduler", *extra],
            cwd=ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    process.log = log
    env.workers.append(process)
    return process


def stop_worker(process: subprocess.Popen) -> str:
    """Stop a worker (warm shutdown, then a kill); returns what it logged."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    return worker_log(process)


def worker_log(process: subprocess.Popen) -> str:
    return process.log.read_text(errors="replace")


def wait_for(predicate, timeout: float = 90, every: float = 0.05, what: str = "",
             env=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    logs = "\n".join(worker_log(w)[-3000:] for w in (env.workers if env else []))
    raise AssertionError(f"timed out waiting for {what or predicate}\n{logs}")


@pytest.fixture
def world(queue_env):
    """Committed: a township with a village and its staff member."""
    from portal.auth.services import add_membership, create_user
    from portal.reference.models import Township, Village

    tag = uuid.uuid4().hex[:6]
    app = queue_env.web[0]
    with app.app_context():
        township = Township(code=f"q{tag}", name=f"队列乡{tag}", kind="township", position=1)
        db.session.add(township)
        db.session.flush()
        db.session.add(Village(township_id=township.id, name="一村"))
        staff = create_user(f"staff_{tag}", PASSWORD)
        add_membership(staff, "township_staff", township)
        db.session.commit()
        found = SimpleNamespace(township_id=township.id, code=township.code,
                                staff=staff.username)
        db.session.remove()
    return found


def logged_in(app, username: str):
    client = app.test_client()
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD,
                                                "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    return client


def scalar(app, statement, **params):
    with app.app_context():
        try:
            return db.session.execute(sa.text(statement), params).scalar()
        finally:
            db.session.remove()
