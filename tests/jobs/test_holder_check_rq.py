"""The holder import's check (`holders.check`) on the RQ backend with a real worker: the upload
through one web worker only queues it, and the same browser session, served by another web
worker, follows its progress and then sees the preview and the rejects, which the worker kept
in the job's row and next to the upload (IMPORT_DIR)."""
from __future__ import annotations

import io
import os

import pytest
from openpyxl import load_workbook

from tests.conftest import csrf_token
from tests.jobs.conftest import logged_in, scalar, start_worker, stop_worker, wait_for
from tests.register.conftest import holders_file, idn, row

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CHECK = "SELECT {column} FROM jobs WHERE kind = 'holders.check' AND township_id = :t " \
        "ORDER BY id DESC LIMIT 1"
ENTRIES = "SELECT count(*) FROM holder_entries WHERE township_id = :t"


def _check(app, world, column: str):
    return scalar(app, CHECK.format(column=column), t=world.township_id)


def _same_browser(one, two, app) -> None:
    """Give client `two` the session cookie of client `one` (one browser, two web workers)."""
    name = app.config["SESSION_COOKIE_NAME"]
    two.set_cookie(name, one.get_cookie(name).value)


def test_a_check_queued_on_one_web_worker_is_previewed_on_the_other(queue_env, world,
                                                                      tmp_path):
    first, second = queue_env.web
    one = logged_in(first, world.staff)
    two = second.test_client()
    base = f"/t/{world.code}/holders/import"
    rows = [row(n, idn(2 * n + 1)) for n in range(1, 301)]
    rows.append(row(301, idn(999), digits="43"))  # the grade digit does not match
    with open(holders_file(tmp_path / "h.xlsx", rows), "rb") as fh:
        response = one.post(base, data={"csrf_token": csrf_token(one),
                                        "file": (io.BytesIO(fh.read()), "holders.xlsx")},
                            content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    _same_browser(one, two, first)
    # No worker yet: the other web worker sees the check waiting in the queue.
    assert _check(second, world, "state") == "queued"
    waiting = two.get(f"{base}/preview/progress").get_json()
    assert (waiting["state"], waiting["active"]) == ("queued", True)
    page = two.get(f"{base}/preview").get_data(as_text=True)
    assert 'id="job-progress"' in page and 'id="count-new"' not in page

    worker = start_worker(queue_env)
    wait_for(lambda: _check(second, world, "state") == "done", what="the check",
             env=queue_env)
    runner = _check(second, world, "runner")
    assert runner and not runner.endswith(f":{os.getpid()}")  # run by the worker, not here
    page = two.get(f"{base}/preview").get_data(as_text=True)
    assert 'id="count-new">300<' in page and 'id="count-rejected">1<' in page
    sheet = load_workbook(io.BytesIO(two.get(f"{base}/rejects.xlsx").data)).active
    assert idn(999) in list(sheet.iter_rows(values_only=True))[1]
    assert scalar(second, ENTRIES, t=world.township_id) == 0  # a dry run

    response = two.post(f"{base}/confirm", data={"csrf_token": csrf_token(two)})
    assert response.status_code == 302 and f"{base}/jobs/" in response.headers["Location"]
    wait_for(lambda: scalar(second, ENTRIES, t=world.township_id) == 300, what="the import",
             env=queue_env)
    stop_worker(worker)
