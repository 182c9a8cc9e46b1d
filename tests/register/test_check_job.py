"""The holder import's preview is a job (`holders.check`): the upload only stores the file and
queues the check; the preview page shows the check's progress, then its report, or why the
file is refused; a failed check can be tried again or the file discarded (nothing left
behind); only a checked file can be confirmed."""
from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs import backends, runner
from portal.jobs.models import Job
from portal.register import tasks
from portal.register.models import HolderEntry
from tests.register.conftest import holders_file, idn, row


def _upload(post, url, path, name="holders.xlsx"):
    with open(path, "rb") as fh:
        data = {"file": (io.BytesIO(fh.read()), name)}
    return post(url, data, content_type="multipart/form-data")


def _jobs(kind: str) -> list[Job]:
    return db.session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)).all()


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(HolderEntry))


def _files(app, stored: str) -> list[str]:
    """The upload and its check's report, as far as they are on the disk."""
    directory = Path(app.config["IMPORT_DIR"])
    stem = stored.removesuffix(".upload")
    return sorted(p.name for p in directory.glob(f"{stem}*"))


def _not_run(monkeypatch):
    """A backend that queues a job and never runs it (a worker that has not come yet)."""
    monkeypatch.setattr(backends, "dispatch", lambda app, job_id: None)


def test_upload_queues_the_check_and_its_run_shows_the_preview(
        db_session, client, login_as, post, make_township, make_user, tmp_path, english,
        monkeypatch, app):
    township = make_township()
    staff = make_user("township_staff", township)
    login_as(staff)
    base = f"/t/{township.code}/holders/import"
    _not_run(monkeypatch)
    response = _upload(post, base, holders_file(tmp_path / "h.xlsx", [
        row(1, idn(201)), row(2, idn(203), digits="43"), row(3, idn(205))]))
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"{base}/preview")
    [check] = _jobs(tasks.CHECK)
    assert (check.state, check.township_id, check.created_by_id) == (
        "queued", township.id, staff.id)
    # Ids and codes only: the stored file's random name and the township, not the file name.
    assert set(check.args) == {"stored", "township_id"}
    assert check.args["township_id"] == township.id
    stored = check.args["stored"]
    assert _files(app, stored) == [stored]  # the upload is kept, nothing checked yet
    page = client.get(f"{base}/preview").get_data(as_text=True)
    assert 'id="job-progress"' in page and "Waiting for a worker" in page
    assert '<meta http-equiv="refresh"' in page
    assert "Nothing has been saved yet" not in page and 'id="count-new"' not in page
    progress = client.get(f"{base}/preview/progress").get_json()
    assert (progress["state"], progress["active"]) == ("queued", True)
    # Not checked yet: it cannot be confirmed.
    assert post(f"{base}/confirm", {}).status_code == 409
    assert _jobs(tasks.KIND) == []

    assert runner.run(check.id) == "done"
    db.session.refresh(check)
    assert check.result["new"] == 2 and check.result["rejected"] == 1
    assert check.result["rows"] == 2 and check.result["total"] == 3
    assert idn(203) not in str(check.result)  # no personal data in the job row
    assert _files(app, stored) == [stored.removesuffix(".upload") + ".check.json", stored]
    page = client.get(f"{base}/preview").get_data(as_text=True)
    assert "Nothing has been saved yet" in page and 'id="job-progress"' not in page
    assert 'id="count-new">2<' in page and 'id="count-rejected">1<' in page
    assert "grade digit" in page and "<td>5</td>" in page  # the refused row, by its Excel row
    assert "Import 2 rows" in page
    assert client.get(f"{base}/preview/progress").get_json()["state"] == "done"
    lines = list(load_workbook(io.BytesIO(client.get(f"{base}/rejects.xlsx").data))
                 .active.iter_rows(values_only=True))
    assert lines[1][0] == 5 and "grade digit" in lines[1][2] and idn(203) in lines[1]
    assert _entries() == 0  # the check wrote nothing

    monkeypatch.undo()
    response = post(f"{base}/confirm", {})
    assert response.status_code == 302 and f"{base}/jobs/" in response.headers["Location"]
    assert [j.state for j in _jobs(tasks.KIND)] == ["done"]
    assert _entries() == 2
    assert _files(app, stored) == []  # the import took the upload and the report away


def test_city_check_counts_per_township(db_session, client, login_as, post, make_township,
                                        make_user, tmp_path, english, monkeypatch, app):
    a, b = make_township(), make_township()
    login_as(make_user("city_admin"))
    _not_run(monkeypatch)
    _upload(post, "/city/holders/import", holders_file(tmp_path / "c.xlsx", [
        row(1, idn(211), township=a.name), row(2, idn(213), township=b.name),
        row(3, idn(215), township=b.name), row(4, idn(217), township="无此乡")]))
    [check] = _jobs(tasks.CHECK)
    assert (check.state, check.township_id, check.args["township_id"]) == (
        "queued", None, None)
    page = client.get("/city/holders/import/preview").get_data(as_text=True)
    assert 'id="job-progress"' in page and 'id="count-new"' not in page
    runner.run(check.id)
    db.session.refresh(check)
    assert sorted(check.result["townships"]) == sorted([[a.id, 1], [b.id, 2]])
    page = client.get("/city/holders/import/preview").get_data(as_text=True)
    assert f"{a.name}: 1" in page and f"{b.name}: 2" in page
    assert 'id="count-rejected">1<' in page and "Unknown township" in page
    monkeypatch.undo()
    post("/city/holders/import/confirm", {})
    assert _entries() == 3


def test_a_bad_file_ends_in_a_refusal_in_chinese(db_session, client, zh, login_as, post,
                                                  make_township, make_user, tmp_path,
                                                  monkeypatch, app):
    township = make_township()
    login_as(make_user("township_staff", township))
    base = f"/t/{township.code}/holders/import"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes("姓名,公民身份号码\n张三,1\n".encode())
    _not_run(monkeypatch)
    _upload(post, base, bad)
    [check] = _jobs(tasks.CHECK)
    stored = check.args["stored"]
    assert runner.run(check.id) == "done"
    db.session.refresh(check)
    assert check.result == {"refused": "not_xlsx", "params": {}}
    page = client.get(f"{base}/preview").get_data(as_text=True)
    assert "这不是 Excel 工作簿" in page and 'id="count-new"' not in page
    assert "重试" not in page  # nothing to try again: the file is refused as it is
    assert _files(app, stored) == []  # a refused file is not kept
    assert post(f"{base}/confirm", {}).status_code == 409
    assert _jobs(tasks.KIND) == []


def test_a_failed_check_says_why_and_can_be_tried_again(
        db_session, client, zh, login_as, post, make_township, make_user, tmp_path,
        monkeypatch, app):
    township = make_township()
    login_as(make_user("township_staff", township))
    base = f"/t/{township.code}/holders/import"

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(tasks, "plan_holders", broken)
    _upload(post, base, holders_file(tmp_path / "r.xlsx", [row(1, idn(221)),
                                                           row(2, idn(223))]))
    [check] = _jobs(tasks.CHECK)  # run inline once the upload had committed
    stored = check.args["stored"]
    assert (check.state, check.error) == ("failed", "failed")
    assert _files(app, stored) == [stored]  # kept for the retry, no report
    page = client.get(f"{base}/preview").get_data(as_text=True)
    assert 'id="check-failed"' in page and "任务失败，没有保存任何内容" in page
    assert "重试" in page and "放弃此文件" in page
    assert post(f"{base}/confirm", {}).status_code == 409

    monkeypatch.undo()
    assert post(f"{base}/preview/retry", {}).status_code == 302
    db.session.refresh(check)
    assert (check.state, check.attempts, check.result["new"]) == ("done", 2, 2)
    page = client.get(f"{base}/preview").get_data(as_text=True)
    assert 'id="count-new">2<' in page
    # Done: nothing to try again.
    assert post(f"{base}/preview/retry", {}).status_code in (303, 409)
    db.session.refresh(check)
    assert check.attempts == 2


def test_discarding_removes_the_file_and_its_report(db_session, client, login_as, post,
                                                     make_township, make_user, tmp_path,
                                                     english, monkeypatch, app):
    township = make_township()
    login_as(make_user("township_staff", township))
    base = f"/t/{township.code}/holders/import"
    path = holders_file(tmp_path / "d.xlsx", [row(1, idn(231))])
    # Checked, then discarded: the upload and the report go.
    _upload(post, base, path)
    [checked] = _jobs(tasks.CHECK)
    assert checked.state == "done" and len(_files(app, checked.args["stored"])) == 2
    assert post(f"{base}/cancel", {}).status_code == 302
    assert _files(app, checked.args["stored"]) == []
    assert client.get(f"{base}/preview").headers["Location"].endswith(base)
    assert post(f"{base}/confirm", {}).status_code == 302 and _jobs(tasks.KIND) == []
    # Discarded before a worker took the check: the check finds nothing and leaves nothing.
    _not_run(monkeypatch)
    _upload(post, base, path)
    waiting = _jobs(tasks.CHECK)[-1]
    assert waiting.state == "queued"
    page = client.get(f"{base}/preview").get_data(as_text=True)
    assert "Discard this file" in page
    post(f"{base}/cancel", {})
    assert _files(app, waiting.args["stored"]) == []
    assert runner.run(waiting.id) == "failed"
    db.session.refresh(waiting)
    assert waiting.error == "gone"
    assert _files(app, waiting.args["stored"]) == []
    # A new upload replaces the staged one: the first file does not stay behind.
    _upload(post, base, path)
    first = _jobs(tasks.CHECK)[-1]
    _upload(post, base, path)
    second = _jobs(tasks.CHECK)[-1]
    assert first.id != second.id and _files(app, first.args["stored"]) == []
    assert _files(app, second.args["stored"]) == [second.args["stored"]]
    assert _entries() == 0


def test_the_check_of_one_upload_is_not_anothers(db_session, client, login_as, post,
                                                  make_township, make_user, tmp_path,
                                                  english):
    township = make_township()
    login_as(make_user("township_staff", township))
    base = f"/t/{township.code}/holders/import"
    _upload(post, base, holders_file(tmp_path / "o.xlsx", [row(1, idn(241))]))
    client.post("/auth/logout")
    login_as(make_user("township_staff", township))  # a colleague: another session
    assert client.get(f"{base}/preview").headers["Location"].endswith(base)
    assert client.get(f"{base}/preview/progress").get_json()["active"] is False
    assert post(f"{base}/confirm", {}).status_code == 302 and _jobs(tasks.KIND) == []
