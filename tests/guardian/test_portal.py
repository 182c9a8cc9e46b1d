"""The guardian's pages: plain status, next appointment, documents checklist, phone uploads."""
from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from portal.evidence.models import Evidence
from portal.guardian.models import GuardianUpload
from tests.conftest import csrf_token
from tests.guardian.conftest import JPEG, MP4, PDF


@pytest.fixture
def guardian(client, accept, invite_link, place, english):
    """The test client logged in as the guardian of `place.person` (session-only)."""
    assert accept(invite_link(place), mode="once").status_code == 302
    return client


def _send(client, case, document, data, name, field="camera"):
    """POST one file as a phone's form would (body built in memory, no temporary file)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    from tests.conftest import csrf_token

    boundary, body = encode_multipart({
        "csrf_token": csrf_token(client), "document": document,
        field: FileStorage(io.BytesIO(data), filename=name)})
    return client.post(f"/g/cases/{case.id}/upload", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("state,fields,words", [
    ("registered", {}, "Waiting for the assessment"),
    ("publicity", {"publicity_ends_on": date(2031, 5, 9)},
     "public notice in the village until May 9, 2031"),
    ("under_review", {"review_due_on": date(2031, 6, 2)}, "by June 2, 2031"),
    ("not_qualified", {"appeal_due_on": date(2031, 7, 1)},
     "appeal to the city office until July 1, 2031"),
    ("issued", {}, "has been handed over"),
])
def test_status_in_plain_words(guardian, place, db_session, state, fields, words):
    place.case.state = state
    for name, value in fields.items():
        setattr(place.case, name, value)
    db_session.flush()
    assert words in guardian.get("/g/").get_data(as_text=True)


def test_next_home_visit_is_shown(guardian, place, db_session):
    from portal.scheduling.models import HomeVisit

    soon = date.today() + timedelta(days=3)
    db_session.add_all([
        HomeVisit(township_id=place.township.id, case_id=place.case.id,
                  visit_date=soon, starts_at=time(9, 30), ends_at=time(11),
                  created_by_id=place.staff.id),
        HomeVisit(township_id=place.township.id, case_id=place.case.id,
                  visit_date=soon - timedelta(days=10), starts_at=time(8), ends_at=time(9),
                  created_by_id=place.staff.id),
    ])
    db_session.flush()
    page = guardian.get("/g/").get_data(as_text=True)
    assert "Home visit on" in page and "between 09:30 and 11:00" in page
    assert "08:00" not in page


def test_next_concentrated_day_with_hospital(guardian, place, db_session):
    from portal.reference.models import ConcentratedDay, Hospital
    from portal.scheduling.models import DayAssignment

    hospital = Hospital(name="芒市人民医院")
    day = ConcentratedDay(township_id=place.township.id, day=date.today() + timedelta(days=5),
                          capacity_physical=3, hospitals=[hospital])
    db_session.add(day)
    db_session.flush()
    db_session.add(DayAssignment(township_id=place.township.id, day_id=day.id,
                                 case_id=place.case.id, assigned_by_id=place.staff.id))
    place.case.concentrated_day_id = day.id
    place.case.state = "scheduled"
    db_session.flush()
    page = guardian.get("/g/").get_data(as_text=True)
    assert "Assessment day on" in page and "芒市人民医院" in page


def test_checklist_asks_records_for_mental_and_ticks_uploads(guardian, place, db_session):
    place.case.requested_category = "mental"
    db_session.flush()
    page = guardian.get(f"/g/persons/{place.person.id}").get_data(as_text=True)
    assert page.count("still needed") == 5  # ID, register, photo, guardian's ID, records
    assert _send(guardian, place.case, "id_card", JPEG, "id.jpg").status_code == 302
    assert _send(guardian, place.case, "medical_record", PDF, "record.pdf",
                 field="file").status_code == 302
    page = guardian.get(f"/g/persons/{place.person.id}").get_data(as_text=True)
    assert page.count("still needed") == 3 and page.count("received") == 2


def test_checklist_without_records_for_physical(guardian, place):
    page = guardian.get("/g/").get_data(as_text=True)
    assert page.count("still needed") == 3
    assert "Medical records" not in page


def test_upload_page_uses_the_phone_camera(guardian, place):
    page = guardian.get(f"/g/cases/{place.case.id}/upload").get_data(as_text=True)
    assert 'capture="environment"' in page
    assert 'accept="image/*,video/*,application/pdf"' in page
    assert '<label class="form-label" for="camera">' in page


def test_photo_pdf_and_video_are_kept_with_their_hashes(guardian, place, db_session, app):
    import hashlib

    from portal.evidence.services import get_store

    for document, data, name in (("portrait", JPEG, "p.jpg"),
                                 ("medical_record", PDF, "r.pdf"),
                                 ("video", MP4, "v.mp4")):
        response = _send(guardian, place.case, document, data, name)
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    rows = db_session.scalars(select(Evidence).where(Evidence.case_id == place.case.id)
                              .order_by(Evidence.id)).all()
    assert [(e.kind, e.content_type) for e in rows] == [
        ("photo", "image/jpeg"), ("medical_record", "application/pdf"), ("video", "video/mp4")]
    store = get_store(app)
    for row, data in zip(rows, (JPEG, PDF, MP4), strict=True):
        assert row.sha256 == hashlib.sha256(data).hexdigest()
        with store.open(row.object_key) as body:
            assert hashlib.sha256(body.read()).hexdigest() == row.sha256
    labels = db_session.scalars(select(GuardianUpload.document).order_by(GuardianUpload.id))
    assert list(labels) == ["portrait", "medical_record", "video"]
    page = guardian.get(f"/g/cases/{place.case.id}/upload").get_data(as_text=True)
    assert "r.pdf" in page and "v.mp4" in page


def test_disguised_file_is_refused_with_a_message(guardian, place, db_session):
    page = _send(guardian, place.case, "id_card", b"MZ\x90\x00" + b"\x00" * 100, "id.jpg")
    assert page.status_code == 200
    assert "This file type cannot be kept as Photo" in page.get_data(as_text=True)
    assert db_session.scalars(select(Evidence)).first() is None


def test_missing_file_and_document_are_explained(guardian, place):
    from tests.conftest import csrf_token

    page = guardian.post(f"/g/cases/{place.case.id}/upload", data={
        "csrf_token": csrf_token(guardian), "document": ""}).get_data(as_text=True)
    assert "Choose what the file shows." in page
    assert "Take a photo or video, or choose a file." in page


def test_finished_case_takes_no_uploads(guardian, place, db_session):
    place.case.state = "issued"
    db_session.flush()
    response = _send(guardian, place.case, "id_card", JPEG, "id.jpg")
    assert "no more documents are needed" in response.get_data(as_text=True)
    assert db_session.scalars(select(Evidence)).first() is None


def test_no_dead_video_button(guardian, place):
    """The place for "join video assessment" stays empty until the video area fills it."""
    page = guardian.get("/g/").get_data(as_text=True)
    main = page.split("<main", 1)[1]
    assert "/join/" not in main and "<button" not in main


def test_upload_is_audited_without_personal_data(guardian, place, db_session):
    from portal.audit.models import AuditEvent

    _send(guardian, place.case, "id_card", JPEG, "王小明身份证.jpg")
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "guardian.upload")).one()
    assert event.details["document"] == "id_card"
    assert "王小明" not in str(event.details)


def test_phone_video_may_exceed_the_general_request_limit(guardian, place, app, db_session):
    """The upload page has its own size limits (per kind) instead of the portal's general one."""
    saved = {k: app.config[k] for k in ("MAX_CONTENT_LENGTH", "EVIDENCE_MAX_OTHER_MB",
                                         "EVIDENCE_MAX_VIDEO_MB")}
    app.config.update(MAX_CONTENT_LENGTH=1000, EVIDENCE_MAX_OTHER_MB=1, EVIDENCE_MAX_VIDEO_MB=1)
    try:
        assert _send(guardian, place.case, "video", MP4 + b"\x00" * 100_000,
                     "v.mp4").status_code == 302
        too_big = _send(guardian, place.case, "id_card", JPEG + b"\x00" * 1_500_000, "id.jpg")
        assert too_big.status_code == 200
        assert "larger than the limit of 1 MB" in too_big.get_data(as_text=True)
        assert _send(guardian, place.case, "video", MP4 + b"\x00" * 3_000_000,
                     "v.mp4").status_code == 413
    finally:
        app.config.update(saved)
    kinds = db_session.scalars(select(Evidence.kind).where(Evidence.case_id == place.case.id))
    assert list(kinds) == ["video"]


def _claimed_size_post(client, case, megabytes: int):
    """A POST that claims a body of `megabytes` (only its head is sent): what matters is the
    limit the portal applies before reading it."""
    return client.post(f"/g/cases/{case.id}/upload", data=b"--x\r\n",
                       content_type="multipart/form-data; boundary=x",
                       environ_overrides={"CONTENT_LENGTH": str(megabytes * 1024 * 1024)})


def test_the_large_upload_limit_applies_only_to_a_guardian_of_the_case(
        client, guardian, place, make_person, make_case, app):
    """A video may exceed the general request limit, but only once the request is known to
    come from a guardian of that case: anyone else is held to the general limit unread."""
    over_general = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024) + 10
    assert _claimed_size_post(guardian, place.case, over_general).status_code != 413
    other = make_case(make_person(place.township, name="别人"), place.staff)
    assert _claimed_size_post(guardian, other, over_general).status_code == 413
    guardian.post("/auth/logout", data={"csrf_token": csrf_token(guardian)})
    assert _claimed_size_post(guardian, place.case, over_general).status_code == 413
