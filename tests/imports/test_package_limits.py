"""A workbook beyond the roster's limits is refused from its package, before anything of it is
unpacked into memory: declared rows and columns, and the unpacked size of its parts (a zip
bomb), whatever its headers claim."""
from __future__ import annotations

import re
import struct
import zipfile

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.imports import reader, uploads
from portal.imports.reader import PackageLimits, WorkbookError, check_package
from portal.rosters.models import ImportJob
from tests.imports.conftest import SUSPECTED_HEADER, suspected_rows, write_book

LIMITS = PackageLimits(max_rows=100, max_columns=30, max_unpacked_bytes=2 * 1024 * 1024)


def _roster(tmp_path, name="list.xlsx"):
    return write_book(tmp_path / name, [["名单"], SUSPECTED_HEADER] + suspected_rows(3))


def _rewrite(source, target, change):
    """Copy a workbook, passing each part through change(name, data)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w",
                                                         zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, change(item.filename, old.read(item.filename)))
    return target


def _with_dimension(tmp_path, ref):
    def change(name, data):
        if name.startswith("xl/worksheets/"):
            return re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
        return data
    return _rewrite(_roster(tmp_path), tmp_path / f"dim-{ref.replace(':', '-')}.xlsx", change)


def _with_bomb(tmp_path, size, name="bomb.xlsx"):
    path = _rewrite(_roster(tmp_path), tmp_path / name, lambda n, d: d)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/media/image1.bin", b"\0" * size)
    return path


def _lying(path, claimed=1000):
    """Rewrite the bomb part's declared sizes (local and central headers) to `claimed`."""
    data = bytearray(path.read_bytes())
    name = b"xl/media/image1.bin"
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at != -1:
            header = 30 if signature == b"PK\x03\x04" else 46
            length = struct.unpack_from("<H", data, at + (26 if header == 30 else 28))[0]
            if data[at + header:at + header + length] == name:
                struct.pack_into("<I", data, at + offset, claimed)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))
    return path


def test_an_ordinary_roster_passes(tmp_path):
    check_package(_roster(tmp_path), LIMITS)


@pytest.mark.parametrize(("ref", "code"), [("A1:N900000", "too_many_rows"),
                                           ("A1:ZZZ4", "too_many_columns")])
def test_a_declared_size_beyond_the_limits_is_refused(tmp_path, ref, code):
    with pytest.raises(WorkbookError) as refused:
        check_package(_with_dimension(tmp_path, ref), LIMITS)
    assert refused.value.code == code


def test_a_zip_bomb_is_refused_by_its_unpacked_size(tmp_path):
    with pytest.raises(WorkbookError) as refused:
        check_package(_with_bomb(tmp_path, 8 * 1024 * 1024), LIMITS)
    assert refused.value.code == "too_large_unpacked"


def test_a_bomb_that_lies_about_its_size_is_refused_too(tmp_path):
    bomb = _lying(_with_bomb(tmp_path, 8 * 1024 * 1024))
    assert sum(i.file_size for i in zipfile.ZipFile(bomb).infolist()) < LIMITS.max_unpacked_bytes
    with pytest.raises(WorkbookError) as refused:
        check_package(bomb, LIMITS)
    assert refused.value.code in ("too_large_unpacked", "unreadable")


def test_nothing_is_unpacked_into_memory_before_the_check(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the workbook was opened by the reader")

    monkeypatch.setattr(reader.CalamineWorkbook, "from_path", never)
    with pytest.raises(WorkbookError):
        reader.open_rows(_with_bomb(tmp_path, 8 * 1024 * 1024), "suspected", max_rows=100,
                         limits=LIMITS)


def test_the_upload_page_says_why_and_keeps_nothing(staff, tmp_path, app, client, post,
                                                    login_as, db_session, monkeypatch):
    township, user = staff
    login_as(user)
    monkeypatch.setitem(app.config, "ROSTER_MAX_UNPACKED_MB", 2)
    bomb = _with_bomb(tmp_path, 8 * 1024 * 1024)
    with open(bomb, "rb") as fh:
        response = post(f"/t/{township.code}/imports/new",
                        data={"list_kind": "suspected", "file": (fh, "名单.xlsx")},
                        content_type="multipart/form-data")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "解压后超过 2 MB" in page, page[-3000:]
    job = db.session.scalars(select(ImportJob).where(ImportJob.township_id == township.id)).one()
    assert job.status == "unreadable"
    assert not uploads.job_path(app.config["IMPORT_DIR"], job).exists()
