"""The register's pages: the township's list (masked), a holder added by hand, the import's
preview (a dry run) and confirmation, and who may use them."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.domain.idcard import mask
from portal.register.models import HolderEntry
from portal.rosters.models import Person
from tests.register.conftest import holders_file, idn, row


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def _form(**fields):
    data = {"name": "赵六", "id_number": idn(101), "certificate_number": idn(101) + "42",
            "category": "physical", "grade": "2", "issued_on": "2019-06-30",
            "expires_on": "", "village": "一村", "phone": "", "poverty_registered": "y"}
    data.update(fields)
    return data


def test_staff_adds_a_holder_without_a_survey_list(db_session, client, login_as, post,
                                                   make_township, make_user, english):
    township = make_township()
    login_as(make_user("township_staff", township))
    url = f"/t/{township.code}/holders/new"
    assert client.get(url).status_code == 200
    response = post(url, _form())
    assert response.status_code == 302
    person = db_session.execute(select(Person).where(Person.id_number == idn(101))).scalar_one()
    assert not person.roster_entries and person.poverty_registered
    entry = db_session.execute(select(HolderEntry)).scalar_one()
    assert (entry.source, entry.expires_on, entry.issued_on) == (
        "manual", date(2029, 6, 30), date(2019, 6, 30))  # 10 years from the issue date
    # The same person again: matched by the ID number, not doubled.
    assert post(url, _form(expires_on="2030-01-01")).status_code == 302
    assert _count(db_session, Person) == 1 and _count(db_session, HolderEntry) == 1
    assert db_session.execute(select(HolderEntry.expires_on)).scalar_one() == date(2030, 1, 1)


def test_the_form_checks_the_certificate_number(db_session, client, login_as, post,
                                                make_township, make_user, make_person,
                                                english):
    township, other = make_township(), make_township()
    login_as(make_user("township_staff", township))
    url = f"/t/{township.code}/holders/new"
    page = post(url, _form(certificate_number=idn(103) + "42")).get_data(as_text=True)
    assert "does not begin with this row" in page
    page = post(url, _form(category="vision")).get_data(as_text=True)
    assert "category digit" in page
    page = post(url, _form(grade="3")).get_data(as_text=True)
    assert "grade digit" in page
    page = post(url, _form(issued_on="", expires_on="")).get_data(as_text=True)
    assert "Neither the expiry date nor the issue date" in page
    make_person(other, list_kind="suspected", id_number=idn(105))
    page = post(url, _form(id_number=idn(105), certificate_number=idn(105) + "42")
                ).get_data(as_text=True)
    assert "cannot be registered here" in page
    assert _count(db_session, HolderEntry) == 0


def test_list_masks_numbers_and_only_staff_may_add(db_session, client, login_as, post,
                                                   make_township, make_user):
    township = make_township()
    village = min(township.villages, key=lambda v: v.name)
    staff = make_user("township_staff", township)
    login_as(staff)
    assert post(f"/t/{township.code}/holders/new", _form()).status_code == 302
    page = client.get(f"/t/{township.code}/holders/").get_data(as_text=True)
    assert "赵六" in page and idn(101) not in page
    assert mask(idn(101)) in page and mask(idn(101) + "42") in page
    for role, extra in (("village_liaison", [village]), ("poverty_cadre", None)):
        client.post("/auth/logout")
        login_as(make_user(role, township, extra))
        assert client.get(f"/t/{township.code}/holders/new").status_code == 403
        assert client.get(f"/t/{township.code}/holders/import").status_code == 403
    client.post("/auth/logout")
    login_as(make_user("supervisor"))
    assert client.get("/city/holders/import").status_code == 403


def _upload(client, post, url, path):
    with open(path, "rb") as fh:
        data = {"file": (io.BytesIO(fh.read()), "holders.xlsx")}
    return post(url, data, content_type="multipart/form-data")


def test_city_import_previews_then_imports(db_session, client, login_as, post, make_township,
                                           make_user, tmp_path, english):
    a = make_township()
    login_as(make_user("city_admin"))
    path = holders_file(tmp_path / "h.xlsx", [
        row(1, idn(111), township=a.name), row(2, idn(113), township=a.name, digits="43")])
    response = _upload(client, post, "/city/holders/import", path)
    assert response.status_code == 302 and "preview" in response.headers["Location"]
    assert idn(111) not in response.headers["Location"]
    page = client.get("/city/holders/import/preview").get_data(as_text=True)
    assert "Nothing has been saved yet" in page
    assert 'id="count-new">1<' in page and 'id="count-rejected">1<' in page
    assert "grade digit" in page and ">5<" in page  # the refused row, by its Excel row
    assert _count(db_session, HolderEntry) == 0 and _count(db_session, Person) == 0
    rejected = client.get("/city/holders/import/rejects.xlsx")
    sheet = load_workbook(io.BytesIO(rejected.data)).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[1][0] == 5 and "grade digit" in lines[1][2] and idn(113) in lines[1]
    response = post("/city/holders/import/confirm", {})
    assert response.status_code == 302 and "/city/holders/import/jobs/" in (
        response.headers["Location"])
    assert _count(db_session, HolderEntry) == 1  # the job ran (inline) once the request committed
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "holder.imported")).one()
    assert event.details["new"] == 1 and event.details["rejected"] == 1
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported: 1 new entries" in done and "1 rows rejected" in done
    job = client.get(response.headers["Location"] + "/progress").get_json()
    assert (job["state"], job["percent"], job["active"]) == ("done", 100, False)
    # The staged file is gone: confirming again does nothing.
    assert post("/city/holders/import/confirm", {}).status_code == 302
    assert _count(db_session, HolderEntry) == 1


def test_township_import_and_unreadable_file(db_session, client, login_as, post,
                                             make_township, make_user, tmp_path, english):
    township = make_township()
    login_as(make_user("township_staff", township))
    url = f"/t/{township.code}/holders/import"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"name,id\n")
    assert _upload(client, post, url, bad).status_code == 302
    page = client.get(f"/t/{township.code}/holders/import/preview").get_data(as_text=True)
    assert "not an Excel workbook" in page
    path = holders_file(tmp_path / "t.xlsx", [row(1, idn(121))])
    _upload(client, post, url, path)
    assert post(f"/t/{township.code}/holders/import/confirm", {}).status_code == 302
    assert db_session.execute(select(HolderEntry.township_id)).scalar_one() == township.id


def test_person_page_shows_the_register_entry(db_session, client, login_as, post,
                                              make_township, make_user, tmp_path, english):
    from tests.register.conftest import holders_file as book

    township = make_township()
    staff = make_user("township_staff", township)
    login_as(staff)
    _upload(client, post, f"/t/{township.code}/holders/import",
            book(tmp_path / "p.xlsx", [row(1, idn(131), expires=date(2031, 2, 3))]))
    post(f"/t/{township.code}/holders/import/confirm", {})
    person = db_session.execute(select(Person).where(Person.id_number == idn(131))).scalar_one()
    page = client.get(f"/t/{township.code}/persons/{person.id}").get_data(as_text=True)
    entry = page[page.index('id="holder-entry"'):]
    assert "2031-02-03" in entry and "National database" in entry
    assert mask(idn(131) + "42") in entry and idn(131) + "42" not in page
    # An earlier expiry typed by hand corrects the imported entry (a human saw the card).
    post(f"/t/{township.code}/holders/new", _form(
        name="张三", id_number=idn(131), certificate_number=idn(131) + "42",
        expires_on="2029-06-30"))
    held = db_session.execute(select(HolderEntry)).scalar_one()
    assert (held.source, held.expires_on, held.recorded_by_id) == (
        "manual", date(2029, 6, 30), staff.id)


def test_a_failing_confirmation_saves_nothing(db_session, client, login_as, post,
                                              make_township, make_user, tmp_path, english,
                                              monkeypatch):
    from portal.register import importer

    township = make_township()
    login_as(make_user("township_staff", township))
    base = f"/t/{township.code}/holders/import"
    _upload(client, post, base, holders_file(
        tmp_path / "x.xlsx", [row(n, idn(140 + 2 * n)) for n in range(1, 5)]))
    real, calls = importer.record_holding, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "record_holding", failing)
    response = post(f"{base}/confirm", {})
    job_page = response.headers["Location"]
    assert response.status_code == 302 and f"{base}/jobs/" in job_page
    assert _count(db_session, HolderEntry) == 0 and _count(db_session, Person) == 0
    page = client.get(job_page).get_data(as_text=True)
    assert "Nothing of it was saved" in page and "Try again" in page
    monkeypatch.setattr(importer, "record_holding", real)
    assert post(f"{job_page}/retry", {}).status_code == 302  # the file was kept: try again
    assert _count(db_session, HolderEntry) == 4
    assert "Imported: 4 new entries" in client.get(job_page).get_data(as_text=True)
    # Done: nothing to retry, and the file is gone.
    assert post(f"{job_page}/retry", {}).status_code in (302, 303, 409)
    assert _count(db_session, HolderEntry) == 4


def test_another_township_cannot_see_the_import_job(db_session, client, login_as, post,
                                                     make_township, make_user, tmp_path):
    township, other = make_township(), make_township()
    login_as(make_user("township_staff", township))
    base = f"/t/{township.code}/holders/import"
    _upload(client, post, base, holders_file(tmp_path / "y.xlsx", [row(1, idn(171))]))
    job_page = post(f"{base}/confirm", {}).headers["Location"]
    assert client.get(job_page).status_code == 200
    login_as(make_user("township_staff", other))
    assert client.get(job_page.replace(township.code, other.code)).status_code == 404
