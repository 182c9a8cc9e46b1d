"""Viewing evidence only through the portal after the case's own authorization, audited;
presigned links of at most five minutes; the gallery; superseding instead of deleting."""
from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_login import AnonymousUserMixin

from portal.evidence.services import store_upload
from tests.cases.helpers import text
from tests.evidence.conftest import JPEG, MP4, PDF

PAGES = ["", "/download"]


def add(app, world, content=JPEG, kind="photo", filename="photo.jpg", actor=None):
    """Evidence stored through the service, as an upload would."""
    evidence = store_upload(case=world.case, stream=io.BytesIO(content), filename=filename,
                            claimed_type=None, kind=kind, actor=actor or world.staff,
                            store=app.extensions["evidence_store"], config=app.config)
    return evidence


def fetch(client, url, **kwargs):
    """GET, read the body and close the response (its file), as a browser would."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def item_url(world, evidence, suffix="") -> str:
    return (f"/t/{world.township.code}/evidence/cases/{world.case.id}/items/{evidence.id}"
            f"{suffix}")


def test_view_streams_the_bytes_and_is_audited(client, login_as, world, app, app_store,
                                               audits):
    evidence = add(app, world)
    login_as(world.liaison)  # sees the case (its village), may view its evidence
    response = fetch(client, item_url(world, evidence))
    assert response.status_code == 200
    assert response.data == JPEG and response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    [event] = audits("evidence.view")
    assert event.actor_id == world.liaison.id and event.object_id == evidence.id


def test_download_is_a_short_presigned_link_or_streamed(client, login_as, world, app,
                                                        app_store, audits):
    evidence = add(app, world, PDF, "medical_record", "病历.pdf")
    login_as(world.doctor)
    response = fetch(client, item_url(world, evidence, "/download"))
    if app_store.backend == "local":
        assert response.status_code == 200 and response.data == PDF
        assert "attachment" in response.headers["Content-Disposition"]
    else:
        assert response.status_code == 303
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        assert int(query["X-Amz-Expires"][0]) <= 300
        import urllib3

        fetched = urllib3.PoolManager().request("GET", response.headers["Location"])
        assert fetched.status == 200 and fetched.data == PDF
    [event] = audits("evidence.download")
    assert event.actor_id == world.doctor.id
    assert event.details["via"] == ("stream" if app_store.backend == "local" else "presigned")


def test_video_can_be_sought(client, login_as, world, app, app_store):
    evidence = add(app, world, MP4, "video", "v.mp4")
    login_as(world.staff)
    response = fetch(client, item_url(world, evidence), headers={"Range": "bytes=4-11"})
    assert response.status_code == 206
    assert response.data == MP4[4:12]
    assert response.headers["Content-Range"] == f"bytes 4-11/{len(MP4)}"


@pytest.mark.parametrize("suffix", PAGES)
@pytest.mark.parametrize("user,status", [("other_staff", 404), ("other_doctor", 404),
                                         ("far_liaison", 404)])
def test_no_view_without_the_case(client, login_as, world, app, app_store, audits, user,
                                  status, suffix):
    evidence = add(app, world)
    login_as(getattr(world, user))
    assert client.get(item_url(world, evidence, suffix)).status_code == status
    assert audits("evidence.view") == [] and audits("evidence.download") == []


def test_other_township_url_and_other_case_are_404(client, login_as, world, app, app_store,
                                                   db_session):
    from portal.cases.models import Case

    evidence = add(app, world)
    # An earlier case of the same person (withdrawn: a person has one open case at most).
    second = Case(township_id=world.township.id, person_id=world.person.id, kind="renewal",
                  path="records", created_by_id=world.staff.id, state="withdrawn")
    db_session.add(second)
    db_session.flush()
    login_as(world.staff)
    wrong_case = f"/t/{world.township.code}/evidence/cases/{second.id}/items/{evidence.id}"
    assert client.get(wrong_case).status_code == 404
    login_as(world.other_staff)
    foreign = f"/t/{world.other.code}/evidence/cases/{world.case.id}/items/{evidence.id}"
    assert client.get(foreign).status_code == 404


def test_anonymous_is_sent_to_login(client, world, app, app_store):
    evidence = add(app, world)
    response = fetch(client, item_url(world, evidence))
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert isinstance(AnonymousUserMixin(), AnonymousUserMixin)


def test_gallery_shows_each_type_its_way(client, login_as, world, app, app_store):
    photo = add(app, world)
    pdf = add(app, world, PDF, "medical_record", "record.pdf")
    video = add(app, world, MP4, "video", "clip.mp4")
    add(app, world, "他不能下床。".encode(), "statement", "")
    login_as(world.doctor)
    page = text(client.get(f"/t/{world.township.code}/cases/{world.case.id}"))
    assert f'<img class="img-fluid evidence-image" src="{item_url(world, photo)}"' in page
    assert f'href="{item_url(world, pdf)}"' in page and "Open the PDF" in page
    player = f'controls preload="metadata" src="{item_url(world, video)}"'
    assert f'<video class="w-100 evidence-video" {player}' in page
    assert "他不能下床。" in page
    assert "record.pdf" in page


def test_superseding_keeps_the_evidence_with_a_reason(client, post, login_as, world, app,
                                                     app_store, audits, db_session):
    evidence = add(app, world)
    login_as(world.staff)
    url = item_url(world, evidence, "/supersede")
    response = post(url, data={f"e{evidence.id}-reason": ""})
    assert response.status_code == 302 and evidence.superseded_at is None
    response = post(url, data={f"e{evidence.id}-reason": "照片模糊，已重新拍摄"})
    assert response.status_code == 302
    db_session.refresh(evidence)
    assert evidence.superseded_at is not None and evidence.superseded_by_id == world.staff.id
    assert evidence.superseded_reason == "照片模糊，已重新拍摄"
    assert app_store.stat(evidence.object_key).size == len(JPEG)  # the object is kept
    [event] = audits("evidence.supersede")
    assert "照片" not in str(event.details)
    page = text(client.get(f"/t/{world.township.code}/cases/{world.case.id}"))
    assert "Superseded" in page and "照片模糊，已重新拍摄" in page


def test_no_supersede_for_a_liaison_and_no_delete_at_all(client, post, login_as, world, app,
                                                        app_store):
    evidence = add(app, world)
    login_as(world.liaison)
    response = post(item_url(world, evidence, "/supersede"),
                    data={f"e{evidence.id}-reason": "x"})
    assert response.status_code == 403
    login_as(world.staff)
    assert client.delete(item_url(world, evidence)).status_code == 405


def test_a_pdf_is_viewed_under_a_policy_that_loads_and_sends_nothing(client, login_as, world,
                                                                     app, app_store):
    """A PDF cannot be sandboxed (Chromium's viewer then never opens it), so its policy lets
    it load nothing, post nothing and be framed by no page; nothing is sniffed."""
    from portal.security import PDF_CSP

    evidence = add(app, world, PDF, "medical_record", "病历.pdf")
    login_as(world.doctor)
    response = fetch(client, item_url(world, evidence))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Security-Policy"] == PDF_CSP
    assert "default-src 'none'" in PDF_CSP and "form-action 'none'" in PDF_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
