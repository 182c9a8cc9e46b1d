"""The public petition form: no login, limited per address, and nothing personal sent back;
the petitioner gets a reference number to quote."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.petitions.models import Petition, PetitionAttachment
from tests.petitions.conftest import START, text


def _form(**fields) -> dict:
    data = {"petitioner_name": "岩罕", "petitioner_phone": "13712345678", "township": "0",
            "category": "certificate", "content": "村里办证一直没有消息", "consent": "y"}
    data.update(fields)
    return data


def test_anyone_sends_a_petition_and_gets_only_a_reference_number(world, client, post,
                                                                  db_session):
    page = client.get("/petition")
    assert page.status_code == 200 and 'lang="zh-CN"' in text(page)
    assert page.headers["Cache-Control"] == "no-store"
    response = post("/petition", _form(township=str(world.a.id)))
    assert response.status_code == 303, text(response)[:3000]
    assert response.headers["Location"].endswith("/petition/sent")
    petition = db_session.scalars(select(Petition)).one()
    assert (petition.channel, petition.unit_kind, petition.unit_township_id, petition.state,
            petition.received_on, petition.received_by_id, petition.filed_by_id) == (
        "public_form", "township_dpf", world.a.id, "received", START, None, None)
    sent = client.get("/petition/sent")
    shown = text(sent)
    assert petition.reference in shown
    assert "岩罕" not in shown and "13712345678" not in shown
    assert sent.headers["Cache-Control"] == "no-store"
    assert "岩罕" not in text(response) and "13712345678" not in text(response)
    # Shown once: the next visit goes back to the form.
    assert client.get("/petition/sent").status_code == 302
    audit = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "petition.received")).one()
    assert audit.actor_id is None and "岩罕" not in str(audit.details)


def test_a_form_sent_back_for_a_correction_does_not_carry_the_name_or_phone(client, post,
                                                                            db_session):
    response = post("/petition", _form(content=""))
    assert response.status_code == 400
    page = text(response)
    assert 'id="content-error"' in page
    assert "岩罕" not in page and "13712345678" not in page
    assert db_session.scalar(select(func.count()).select_from(Petition)) == 0
    response = post("/petition", _form(consent=""))
    assert response.status_code == 400 and 'id="consent-error"' in text(response)


def test_no_township_or_the_townships_own_staff_goes_to_the_city(world, post, db_session):
    post("/petition", _form())
    post("/petition", _form(township=str(world.a.id), about_township_staff="y"))
    rows = db_session.scalars(select(Petition).order_by(Petition.id)).all()
    assert [(p.township_id, p.about_township_staff, p.unit_kind) for p in rows] == [
        (None, False, "city_dpf"), (world.a.id, True, "city_dpf")]


def test_the_form_is_limited_per_address(app, client, post, monkeypatch, db_session):
    monkeypatch.setitem(app.config, "PETITION_PUBLIC_RATE_LIMIT", "2 per hour")
    assert post("/petition", _form()).status_code == 303
    assert post("/petition", _form()).status_code == 303
    assert post("/petition", _form()).status_code == 429
    assert client.get("/petition").status_code == 200  # reading the form is not limited
    assert db_session.scalar(select(func.count()).select_from(Petition)) == 2


def test_an_attachment_goes_with_it(post, db_session):
    response = post("/petition", _form(attachment=(io.BytesIO(b"\xff\xd8\xff\xe0photo"),
                                                    "照片.jpg")),
                    content_type="multipart/form-data")
    assert response.status_code == 303
    attachment = db_session.scalars(select(PetitionAttachment)).one()
    assert (attachment.content_type, attachment.uploaded_by_id) == ("image/jpeg", None)
