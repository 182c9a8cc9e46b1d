"""Following a job that ends in a file, as a user does (portal/jobs/files.py), and counting
the files jobs wrote."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.jobs import files


@pytest.fixture(autouse=True)
def own_import_dir(app, tmp_path):
    """This test's own shared disk: only its own jobs' files are counted (a patch of its own,
    which a test's `monkeypatch.undo()` leaves in place). Import it into a test module to
    use it there."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(app.config, "IMPORT_DIR", str(tmp_path / "imports"))
        yield


def job_files(app) -> list[Path]:
    """The files jobs have written on the shared disk."""
    folder = Path(app.config["IMPORT_DIR"]) / files.FILE_DIR
    return sorted(folder.iterdir()) if folder.exists() else []


def download_link(page: str) -> str | None:
    """The job page's download link, once the file is there."""
    found = re.search(r'id="job-file-download" href="([^"]+)"', page)
    return found.group(1) if found else None


def exported(client, post, url: str):
    """Ask for a file as the page's button does (POST), then download the file its job wrote
    (the inline job runner has run it once the request committed)."""
    asked = post(url)
    assert asked.status_code == 302, asked.status_code
    page = client.get(asked.headers["Location"])
    assert page.status_code == 200
    link = download_link(page.get_data(as_text=True))
    assert link, "the job's page offers no file"
    return client.get(link)
