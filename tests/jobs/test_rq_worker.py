"""The RQ backend against the real Redis and real `flask --app wsgi jobs worker` processes.

Two app objects on one database stand for two web workers: an import started through one
shows its progress through the other. A worker killed (SIGKILL, its work horse too) in the
middle of an import leaves no row of it; the reaper marks the job failed once its heartbeat
is older than JOBS_STALE_SECONDS, and a retry imports the file once, with no person twice.
"""
from __future__ import annotations

import os
import signal

import pytest

from tests.imports.conftest import SUSPECTED_HEADER, suspected_rows, write_book
from tests.jobs.conftest import logged_in, scalar, start_worker, stop_worker, wait_for

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PERSONS = "SELECT count(*) FROM persons WHERE township_id = :t"
DISTINCT = "SELECT count(DISTINCT id_number) FROM persons WHERE township_id = :t"
UPLOAD = "SELECT status FROM import_jobs WHERE token = :token"
JOB = ("SELECT {column} FROM jobs WHERE key = (SELECT 'import_job:' || id FROM import_jobs "
       "WHERE token = :token) ORDER BY id DESC LIMIT 1")


def _upload(client, world, path) -> str:
    """Upload as a browser does (the body of a large file is spooled; closed here)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import stream_encode_multipart

    from tests.conftest import csrf_token

    with open(path, "rb") as fh:
        body, length, boundary = stream_encode_multipart({
            "csrf_token": csrf_token(client), "list_kind": "suspected",
            "file": FileStorage(fh, filename="名单.xlsx")})
    try:
        response = client.post(f"/t/{world.code}/imports/new", input_stream=body,
                               content_length=length,
                               content_type=f'multipart/form-data; boundary="{boundary}"')
    finally:
        body.close()
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return response.headers["Location"].rsplit("/", 1)[-1]


def _post(client, url):
    from tests.conftest import csrf_token

    return client.post(url, data={"csrf_token": csrf_token(client)})


def _book(tmp_path, rows: int, start: int = 1):
    return write_book(tmp_path / "名单.xlsx",
                      [["名单"], SUSPECTED_HEADER] + suspected_rows(rows, start=start))


def _job(app, token: str, column: str):
    return scalar(app, JOB.format(column=column), token=token)


def test_an_import_started_on_one_web_worker_shows_progress_on_the_other(
        queue_env, world, tmp_path):
    first, second = queue_env.web
    one, two = logged_in(first, world.staff), logged_in(second, world.staff)
    # Rows enough for the import to report its progress over several heartbeats (a few
    # thousand are imported between two of them, and the test would see none).
    rows = 12_000
    # (people of their own: the module's database is shared, and the next test imports its
    # rows 1-20,000 into another township, where these would be refused as registered here)
    token = _upload(one, world, _book(tmp_path, rows, start=50_000))
    page = f"/t/{world.code}/imports/jobs/{token}"
    # No worker yet: both web workers see the check waiting in the queue.
    assert _job(second, token, "state") == "queued"
    waiting = two.get(f"{page}/progress").get_json()
    assert (waiting["state"], waiting["active"]) == ("queued", True)
    assert "等待后台处理" in two.get(page).get_data(as_text=True)

    worker = start_worker(queue_env)
    wait_for(lambda: _job(second, token, "state") == "done", what="the check",
             env=queue_env)
    assert scalar(second, UPLOAD, token=token) == "ready"
    new = scalar(second, "SELECT new_rows FROM import_jobs WHERE token = :token", token=token)
    assert new > rows * 0.9  # (the generated rows repeat some people: those are rejected)
    assert f'id="count-new">{new}<' in two.get(page).get_data(as_text=True)

    assert _post(one, f"{page}/confirm").status_code == 302
    seen = []

    def progressed():
        shown = two.get(f"{page}/progress").get_json()
        seen.append((shown["state"], shown["phase"], shown["done"], shown["total"]))
        return shown["state"] == "done"

    wait_for(progressed, every=0.02, what="the import", env=queue_env)
    assert ("running" in {s for s, *_ in seen}), seen
    if queue_env.backend == "postgresql":  # SQLite: the heartbeat waits for the import
        assert any(s == "running" and 0 < done for s, _, done, _ in seen), sorted(set(seen))
    assert seen[-1][0] == "done"
    assert scalar(second, PERSONS, t=world.township_id) == new
    assert str(new) in two.get(page).get_data(as_text=True)
    runner = _job(first, token, "runner")
    assert runner and not runner.endswith(f":{os.getpid()}")  # run by the worker, not here
    stop_worker(worker)


def test_a_worker_killed_mid_import_is_reaped_and_the_retry_imports_once(
        queue_env, world, tmp_path):
    first, second = queue_env.web
    one, two = logged_in(first, world.staff), logged_in(second, world.staff)
    rows = 20_000
    token = _upload(one, world, _book(tmp_path, rows))
    page = f"/t/{world.code}/imports/jobs/{token}"
    worker = start_worker(queue_env)
    wait_for(lambda: scalar(first, UPLOAD, token=token) == "ready", what="the check",
             env=queue_env)
    new = scalar(first, "SELECT new_rows FROM import_jobs WHERE token = :token", token=token)
    assert new > 10_000  # (the generated rows repeat some people: those are rejected)
    _post(one, f"{page}/confirm")
    wait_for(lambda: _job(first, token, "kind") == "roster.import"
             and _job(first, token, "state") == "running", every=0.01, what="the import", env=queue_env)
    # Kill the worker and the work horse that runs the import, as a crash or OOM would.
    horse = int(_job(first, token, "runner").rsplit(":", 1)[1])
    os.kill(horse, signal.SIGKILL)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    assert _job(first, token, "state") == "running"  # killed before it could finish
    assert scalar(first, PERSONS, t=world.township_id) == 0  # nothing of it was committed

    # After JOBS_STALE_SECONDS without a heartbeat the other web worker shows it failed.
    failed = wait_for(lambda: (two.get(f"{page}/progress").get_json()["state"] == "failed"
                               and two.get(f"{page}/progress").get_json()),
                      timeout=30, every=0.5, what="the reaper", env=queue_env)
    assert failed["error"] == "lost"
    assert scalar(first, UPLOAD, token=token) == "failed"
    assert "重试" in two.get(page).get_data(as_text=True)

    assert _post(two, f"{page}/retry").status_code == 302
    again = start_worker(queue_env, "--burst")
    wait_for(lambda: _job(first, token, "state") == "done", timeout=180, what="the retry",
             env=queue_env)
    again.wait(timeout=60)
    assert _job(first, token, "attempts") == 2
    assert scalar(first, PERSONS, t=world.township_id) == new
    assert scalar(first, DISTINCT, t=world.township_id) == new
    assert scalar(first, UPLOAD, token=token) == "done"
    assert scalar(first, "SELECT count(*) FROM roster_entries WHERE township_id = :t",
                  t=world.township_id) == new
