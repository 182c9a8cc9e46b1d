"""Staff record petitions received by visit, letter, phone, the 12345 hotline or online: the
subject linked by case, certificate or ID number, dates entered late by the one rule, and
attachments kept in the evidence store with their SHA-256 (never half-written)."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from portal.evidence.services import get_store
from portal.petitions.models import Petition, PetitionAttachment
from tests.petitions.conftest import START, audits_of, events_of, text

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 500


def _form(world, **fields) -> dict:
    data = {"channel": "letter", "received_on": START.isoformat(), "petitioner_name": "岩温",
            "petitioner_phone": "13800138000", "category": "certificate",
            "township": str(world.a.id), "content": "证件迟迟未发放",
            "unit": f"township_dpf:{world.a.id}", "subject_unit": ""}
    data.update(fields)
    return data


def _keys() -> set[str]:
    return set(get_store(current_app).iter_keys("petitions/"))


@pytest.mark.parametrize("channel", ["visit", "letter", "phone", "hotline", "online"])
def test_each_channel_is_recorded_with_its_first_deadline(channel, world, post, sign_in,
                                                          db_session):
    sign_in(world.staff)
    response = post(f"/t/{world.a.code}/petitions/new", _form(world, channel=channel))
    assert response.status_code == 302, text(response)[:3000]
    petition = db_session.scalars(select(Petition)).one()
    assert (petition.channel, petition.state, petition.township_id, petition.unit_kind,
            petition.unit_township_id, petition.received_by_id) == (
        channel, "received", world.a.id, "township_dpf", world.a.id, world.staff.id)
    assert petition.due_on == petition.acceptance_due_on == START + timedelta(days=15)
    assert petition.reference.startswith(f"XF{START:%Y%m%d}-")
    assert response.headers["Location"].endswith(f"/petitions/{petition.id}")
    assert events_of(db_session, petition) == ["received"]
    assert audits_of(db_session, petition) == ["petition.received"]


def test_a_date_before_today_needs_a_reason_and_an_old_one_is_refused(world, clock, post,
                                                                      sign_in, db_session):
    clock.set(START + timedelta(days=3))
    sign_in(world.staff)
    url = f"/t/{world.a.code}/petitions/new"
    response = post(url, _form(world))
    assert response.status_code == 400 and 'id="late_reason-error"' in text(response)
    response = post(url, _form(world, received_on=(START - timedelta(days=30)).isoformat(),
                               late_reason="信件压在收发室"))
    assert response.status_code == 400 and 'id="received_on-error"' in text(response)
    response = post(url, _form(world, late_reason="信件压在收发室"))
    assert response.status_code == 302
    petition = db_session.scalars(select(Petition)).one()
    # The deadline counts from the day it was received, not the day it was typed in.
    assert petition.acceptance_due_on == START + timedelta(days=15)
    assert petition.events[0].note == "信件压在收发室"


def test_the_subject_is_linked_by_case_certificate_or_id_number(world, post, sign_in,
                                                                db_session, make_person):
    sign_in(world.staff)
    url = f"/t/{world.a.code}/petitions/new"
    response = post(url, _form(world, case_number=str(world.case.id),
                               id_number=world.person.id_number))
    assert response.status_code == 302, text(response)[:3000]
    petition = db_session.scalars(select(Petition)).one()
    assert (petition.case_id, petition.person_id) == (world.case.id, world.person.id)
    stranger = make_person(world.b, name="外乡人")
    for fields, error in (({"case_number": "999999"}, "case_number"),
                          ({"certificate_number": "53310319600101000X42"}, "certificate_number"),
                          ({"id_number": stranger.id_number}, "id_number"),
                          ({"id_number": "123"}, "id_number")):
        response = post(url, _form(world, **fields))
        assert response.status_code == 400, fields
        assert f'id="{error}-error"' in text(response), fields
    assert db_session.scalar(select(func.count()).select_from(Petition)) == 1


def test_about_the_townships_own_staff_it_goes_to_the_city_and_leaves_the_township(
        world, client, post, sign_in, db_session):
    sign_in(world.staff)
    url = f"/t/{world.a.code}/petitions/new"
    response = post(url, _form(world, about_township_staff="y"))
    assert response.status_code == 400
    assert 'id="unit-error"' in text(response)  # not to the township's own DPF
    response = post(url, _form(world, about_township_staff="y", unit="city_dpf"),
                    follow_redirects=True)
    petition = db_session.scalars(select(Petition)).one()
    assert (petition.unit_kind, petition.about_township_staff) == ("city_dpf", True)
    page = text(response)
    assert petition.reference in page  # said once, in the flash
    assert 'class="petition-row' not in page
    assert client.get(f"/t/{world.a.code}/petitions/{petition.id}").status_code == 404


def test_an_attachment_is_stored_with_its_sha256_and_opened_by_handlers_only(
        world, client, post, sign_in, db_session):
    sign_in(world.staff)
    response = post(f"/t/{world.a.code}/petitions/new",
                    _form(world, attachment=(io.BytesIO(PDF), "来信.pdf")),
                    content_type="multipart/form-data")
    assert response.status_code == 302, text(response)[:3000]
    attachment = db_session.scalars(select(PetitionAttachment)).one()
    assert (attachment.content_type, attachment.size, attachment.sha256) == (
        "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
    assert attachment.object_key.startswith(f"petitions/{attachment.petition_id}/")
    url = f"/t/{world.a.code}/petitions/{attachment.petition_id}/attachments/{attachment.id}"
    got = client.get(url)
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in got.headers["Content-Disposition"]
    sign_in(world.supervisor)
    assert client.get(f"/city/petitions/{attachment.petition_id}/attachments/"
                      f"{attachment.id}").status_code == 403


def test_a_refused_file_leaves_nothing_behind(world, post, sign_in, db_session):
    sign_in(world.staff)
    before = _keys()
    response = post(f"/t/{world.a.code}/petitions/new",
                    _form(world, attachment=(io.BytesIO(EXE), "scan.pdf")),
                    content_type="multipart/form-data")
    assert response.status_code == 400
    assert 'id="attachment-error"' in text(response)
    assert db_session.scalar(select(func.count()).select_from(Petition)) == 0
    assert _keys() == before


def test_a_stored_file_is_deleted_when_its_row_is_not_saved(world, post, sign_in, db_session,
                                                             monkeypatch):
    """The object is written before its row; a failure after it rolls the request back and
    the unit of work's after-rollback hook deletes the object."""
    from portal.petitions import attachments

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    sign_in(world.staff)
    before = _keys()
    monkeypatch.setattr(attachments, "record_event", broken)
    response = post(f"/t/{world.a.code}/petitions/new",
                    _form(world, attachment=(io.BytesIO(PDF), "来信.pdf")),
                    content_type="multipart/form-data")
    assert response.status_code == 500
    assert _keys() == before
    assert db_session.scalar(select(func.count()).select_from(Petition)) == 0


def test_a_handler_adds_a_file_later_on_the_timeline(world, client, post, sign_in,
                                                     db_session):
    petition = world.petition()
    sign_in(world.staff)
    response = post(f"/t/{world.a.code}/petitions/{petition.id}/attachments",
                    {"file-attachment": (io.BytesIO("补充材料说明".encode()), "补充.txt")},
                    content_type="multipart/form-data")
    assert response.status_code == 303, text(response)[:3000]
    assert events_of(db_session, petition)[-1] == "attachment_added"
    assert audits_of(db_session, petition)[-1] == "petition.attachment_added"
    sign_in(world.city)  # sees the petition, does not handle it
    response = post(f"/city/petitions/{petition.id}/attachments",
                    {"file-attachment": (io.BytesIO(b"x"), "x.txt")},
                    content_type="multipart/form-data")
    assert response.status_code == 403
