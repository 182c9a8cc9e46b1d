"""The printed notice's public page: its address on the paper, what it shows (only what the
paper shows, only while the notice runs), objections sent from it and its rate limit."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cases.services import take_step
from portal.objections.models import Objection
from portal.objections.notices import notice_code, pretty_code, read_code
from portal.refusals import Refused
from tests.cases.helpers import access, events_of, text
from tests.objections.conftest import END, START

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _objections(db_session, case):
    return db_session.scalars(select(Objection).where(Objection.case_id == case.id)
                              .order_by(Objection.id)).all()


def _send(client, url, case, **fields):
    from tests.conftest import csrf_token

    page = client.get(url)
    assert page.status_code == 200
    data = {"case_id": str(case.id), "reason": "他不是残疾人，每天下地干活。",
            "csrf_token": csrf_token(client), **fields}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_the_code_carries_village_and_day_and_cannot_be_forged(app, db_session):
    code = notice_code(42, START)
    assert len(code) == 16
    assert read_code(pretty_code(code)) == (42, START)
    assert read_code(pretty_code(code).lower().replace("0", "o")) == (42, START)
    forged = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert read_code(forged) is None
    assert read_code(notice_code(43, START)[:10] + code[10:]) is None
    assert read_code("short") is None


def test_the_printed_notice_carries_the_public_address_and_its_qr(on_notice, client, login_as):
    login_as(on_notice.staff)
    page = text(client.get(f"/t/{on_notice.township.code}/cases/notices/{on_notice.village.id}"))
    assert f"http://localhost{on_notice.notice_url}" in page
    assert 'class="notice-qr" src="data:image/svg+xml' in page


def test_the_public_page_shows_only_what_the_paper_shows(on_notice, client, make_person,
                                                         db_session):
    other_village = next(v for v in on_notice.township.villages if v != on_notice.village)
    elsewhere = make_person(on_notice.township, name="王五", village=other_village)
    on_notice.new_case("publicity", person=elsewhere, category="vision", grade=1,
                       publicity_starts_on=START, publicity_ends_on=END)
    later = make_person(on_notice.township, name="赵六", village=on_notice.village)
    on_notice.new_case("publicity", person=later, category="vision", grade=1,
                       publicity_starts_on=START + timedelta(days=1),
                       publicity_ends_on=END + timedelta(days=1))
    response = client.get(on_notice.notice_url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = text(response)
    person = on_notice.person
    for shown in (person.name, on_notice.village.name, on_notice.township.name, "Physical",
                  START.isoformat(), END.isoformat()):
        assert shown in page
    for hidden in (person.id_number, person.id_number[-4:], person.phone, person.address,
                   person.guardian_name, person.birth_date.isoformat(), "王五", "赵六",
                   on_notice.doctor.username, "Male", "Female"):
        assert hidden not in page, hidden


def test_an_unknown_or_forged_code_is_404(on_notice, client):
    assert client.get("/n/AAAA-AAAA-AAAA-AAAA").status_code == 404
    last = on_notice.notice_url[-1]
    forged = on_notice.notice_url[:-1] + ("0" if last != "0" else "1")
    assert client.get(forged).status_code == 404


def test_before_and_after_the_notice_runs_nothing_is_listed(on_notice, client, clock):
    clock(START - timedelta(days=1))
    before = text(client.get(on_notice.notice_url))
    assert on_notice.person.name not in before and "starts on" in before
    clock(END + timedelta(days=1))
    after = text(client.get(on_notice.notice_url))
    assert on_notice.person.name not in after and "is over" in after


def test_an_objection_from_the_public_page_holds_the_case(on_notice, client, db_session):
    response = _send(client, on_notice.notice_url, on_notice.case,
                     contact="张先生 13900000000",
                     attachment=(io.BytesIO(JPEG), "photo.jpg"))
    assert response.status_code == 303
    done = text(client.get(response.headers["Location"]))
    assert "Your objection was received" in done
    assert "13900000000" not in done and "下地干活" not in done  # nothing is echoed back
    [objection] = _objections(db_session, on_notice.case)
    assert (objection.channel, objection.status, objection.recorded_by_id) == (
        "public_page", "open", None)
    assert objection.received_on == START + timedelta(days=1)
    assert objection.attachment_type == "image/jpeg"
    assert objection.attachment_size == len(JPEG)
    assert events_of(db_session, on_notice.case)[-1].action == "objection_received"
    audit = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "objection.received")).one()
    assert "13900000000" not in str(audit.details)
    with pytest.raises(Refused) as refused:
        take_step(on_notice.case, "end_publicity", actor=on_notice.staff,
                  access=access(on_notice.staff, on_notice.township),
                  today=END + timedelta(days=1))
    assert refused.value.code == "objection_open"
    assert on_notice.case.state == "publicity"


def test_the_end_of_the_notice_says_why_it_is_held(on_notice, client, login_as, clock, post):
    _send(client, on_notice.notice_url, on_notice.case)
    clock(END + timedelta(days=1))
    login_as(on_notice.staff)
    url = f"/t/{on_notice.township.code}/cases/{on_notice.case.id}"
    page = text(post(f"{url}/steps/end_publicity", data={}, follow_redirects=True))
    assert "An objection to this result has not been checked yet" in page
    assert on_notice.case.state == "publicity"


def _stored(app) -> set:
    from pathlib import Path

    folder = Path(app.config["EVIDENCE_DIR"]) / "objections"
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def test_a_bad_attachment_is_refused_next_to_its_field_and_nothing_is_kept(
        on_notice, client, db_session, app, monkeypatch):
    before = _stored(app)
    response = _send(client, on_notice.notice_url, on_notice.case,
                     attachment=(io.BytesIO(b"MZ\x90\x00program"), "photo.jpg"))
    assert response.status_code == 400
    assert "Attach a photo (JPEG, PNG, WebP or HEIC) or a PDF" in text(response)
    assert _objections(db_session, on_notice.case) == []
    assert _stored(app) == before


def test_an_attachment_over_the_limit_is_refused_and_not_kept(on_notice, app, monkeypatch,
                                                             db_session):
    # Through the service: the test client spools a body this large to an unclosed file.
    from portal.objections.notices import find_notice
    from portal.objections.services import ObjectionData, receive_public_objection
    from portal.refusals import Refused

    monkeypatch.setitem(app.config, "OBJECTION_ATTACHMENT_MAX_MB", 1)
    before = _stored(app)
    notice = find_notice(on_notice.notice_url.rsplit("/", 1)[1])
    big = io.BytesIO(JPEG + b"\x00" * (1024 * 1024))
    with pytest.raises(Refused) as refused:
        receive_public_objection(notice, on_notice.case.id,
                                 ObjectionData(reason="附件太大了", attachment=big))
    assert (refused.value.code, refused.value.field) == ("objection_attachment_too_large",
                                                         "attachment")
    assert refused.value.params == {"mb": 1} and "1 MB" in refused.value.message
    assert _stored(app) == before


def test_a_stored_attachment_goes_when_the_objection_is_not_saved(on_notice, app,
                                                                  db_session):
    from portal.objections.notices import find_notice
    from portal.objections.services import ObjectionData, receive_public_objection
    from portal.uow import unit_of_work

    before = _stored(app)
    notice = find_notice(on_notice.notice_url.rsplit("/", 1)[1])
    with pytest.raises(RuntimeError), unit_of_work():
        objection = receive_public_objection(
            notice, on_notice.case.id, ObjectionData(reason="异议理由很充分",
                                                     attachment=io.BytesIO(JPEG)))
        assert objection.attachment_key and _stored(app) != before
        raise RuntimeError("a later step failed")
    assert _stored(app) == before


def test_a_missing_reason_or_person_is_said_next_to_the_field(on_notice, client, db_session):
    response = _send(client, on_notice.notice_url, on_notice.case, case_id="", reason="")
    assert response.status_code == 400
    page = text(response)
    assert "Choose a person listed on this notice." in page and "Write the reason." in page
    assert _objections(db_session, on_notice.case) == []


def test_an_objection_after_the_notice_is_refused(on_notice, client, clock, db_session):
    _send(client, on_notice.notice_url, on_notice.case)  # opens the page while it runs
    clock(END + timedelta(days=1))
    from tests.conftest import csrf_token

    response = client.post(on_notice.notice_url, data={
        "case_id": str(on_notice.case.id), "reason": "太迟了的异议", "csrf_token":
        csrf_token(client)})
    assert response.status_code == 400
    assert len(_objections(db_session, on_notice.case)) == 1


def test_objections_from_one_address_are_rate_limited(on_notice, client, app, monkeypatch,
                                                      db_session):
    monkeypatch.setitem(app.config, "OBJECTION_RATE_LIMIT", "2 per hour")
    assert _send(client, on_notice.notice_url, on_notice.case).status_code == 303
    assert _send(client, on_notice.notice_url, on_notice.case).status_code == 303
    third = _send(client, on_notice.notice_url, on_notice.case)
    assert third.status_code == 429
    assert len(_objections(db_session, on_notice.case)) == 2
    assert client.get(on_notice.notice_url).status_code == 200  # reading stays open
