"""Invites: made by staff or the case's doctor, shown once as link, QR and message; single use,
expiring, revocable; opening them makes an account, a browser-only session, or adds to one."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.guardian.models import GuardianInvite
from portal.rosters.models import Guardianship
from tests.conftest import csrf_token


def _invites(db_session, case):
    return db_session.scalars(
        select(GuardianInvite).where(GuardianInvite.case_id == case.id)).all()


def test_staff_invite_shows_link_qr_and_message_once(client, post, login_as, place,
                                                      db_session):
    login_as(place.staff)
    url = f"/t/{place.township.code}/guardian-invites/cases/{place.case.id}"
    response = post(url, {"guardian_name": "李芳", "relation": "mother", "phone": ""})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "<svg" in page and "qrline" in page  # the QR code, drawn by the portal
    token = page.split("/g/invite/", 1)[1].split('"', 1)[0]
    assert len(token) >= 40
    assert f"/g/invite/{token}" in page.split('id="invite-message"', 1)[1]  # message text
    (invite,) = _invites(db_session, place.case)
    assert invite.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(invite.__dict__)  # only the hash is kept
    assert (invite.expires_at - invite.created_at) == timedelta(days=7)
    # Shown once: a reload no longer carries the link.
    assert "/g/invite/" not in client.get(url).get_data(as_text=True)
    events = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "guardian_invites")).all()
    assert "guardian_invite.create" in events


def test_invite_form_errors_next_to_fields(english, post, login_as, place):
    login_as(place.staff)
    url = f"/t/{place.township.code}/guardian-invites/cases/{place.case.id}"
    page = post(url, {"guardian_name": "", "relation": "", "phone": "abc"}).get_data(
        as_text=True)
    assert "Enter the guardian&#39;s name." in page or "Enter the guardian's name." in page
    assert "Enter a phone number of digits only." in page


def test_case_page_offers_the_invite(client, login_as, place):
    login_as(place.staff)
    page = client.get(f"/t/{place.township.code}/cases/{place.case.id}").get_data(as_text=True)
    assert f"/guardian-invites/cases/{place.case.id}" in page


def test_liaison_may_not_invite(client, login_as, place, make_user, db_session):
    village = place.township.villages[0]
    liaison = make_user("village_liaison", place.township, [village])
    place.person.village_id = village.id
    db_session.flush()
    login_as(liaison)
    response = client.get(f"/t/{place.township.code}/guardian-invites/cases/{place.case.id}")
    assert response.status_code == 403


def test_case_doctor_may_invite_other_doctor_may_not(client, login_as, place, make_user,
                                                      invite_link, db_session):
    doctor = make_user("doctor")
    other = make_user("doctor")
    place.case.doctor_id = doctor.id
    db_session.flush()
    assert invite_link(place, actor=doctor).startswith("/g/invite/")
    login_as(other)
    response = client.get(f"/t/{place.township.code}/guardian-invites/cases/{place.case.id}")
    assert response.status_code == 404


def test_set_password_makes_a_guardian_account(client, accept, invite_link, place,
                                               db_session, english):
    link = invite_link(place)
    response = accept(link, mode="account")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    user = db_session.scalars(select(User).order_by(User.id.desc())).first()
    assert user.username in page  # the generated username, shown once
    assert user.username not in client.get("/g/welcome", follow_redirects=True).get_data(
        as_text=True)
    assert user.roles == {"guardian"}
    assert user.memberships[0].township_id is None
    link_row = db_session.scalars(select(Guardianship).where(
        Guardianship.user_id == user.id)).one()
    assert link_row.person_id == place.person.id and link_row.relation == "mother"
    assert "王小明" in client.get("/g/").get_data(as_text=True)
    # The password works for a later login.
    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    login = client.post("/auth/login", data={
        "username": user.username, "password": "correct-horse-battery-9",
        "csrf_token": csrf_token(client)})
    assert login.status_code == 302
    assert client.get("/").headers["Location"].endswith("/g/")


def test_weak_password_is_refused_and_link_stays_usable(client, accept, invite_link, place,
                                                        english, db_session):
    link = invite_link(place)
    page = accept(link, mode="account", password="short").get_data(as_text=True)
    assert "Use at least 12 characters." in page
    (invite,) = _invites(db_session, place.case)
    db_session.refresh(invite)
    assert invite.used_at is None
    assert accept(link, mode="once").status_code == 302


def test_session_only_use_ends_with_the_browser(client, accept, invite_link, place,
                                                db_session):
    link = invite_link(place)
    response = accept(link, mode="once")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "session=" in cookie and "Expires" not in cookie and "Max-Age" not in cookie
    page = client.get("/g/")
    assert "王小明" in page.get_data(as_text=True)
    assert "Expires" not in page.headers.get("Set-Cookie", "")
    user = db_session.scalars(select(User).order_by(User.id.desc())).first()
    assert user.roles == {"guardian"}
    assert user.password_hash.startswith("!")  # no password can ever open it
    (invite,) = _invites(db_session, place.case)
    db_session.refresh(invite)
    assert invite.used_mode == "session" and invite.used_by_id == user.id


def test_normal_login_keeps_an_expiring_cookie(client, login_as, place):
    login_as(place.staff)
    response = client.get(f"/t/{place.township.code}/cases/")
    assert "Expires" in response.headers.get("Set-Cookie", "")


def test_link_works_once(client, accept, invite_link, place, english):
    link = invite_link(place)
    assert accept(link, mode="once").status_code == 302
    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    again = client.get(link)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)
    assert accept(link, mode="account").status_code == 410


def test_expired_revoked_and_unknown_links(client, post, login_as, accept, invite_link, place,
                                           db_session, english):
    link = invite_link(place)
    (invite,) = _invites(db_session, place.case)
    invite.expires_at = invite.created_at - timedelta(seconds=1)
    db_session.flush()
    page = client.get(link)
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert accept(link).status_code == 410

    link2 = invite_link(place)
    second = max(_invites(db_session, place.case), key=lambda i: i.id)
    login_as(place.staff)
    response = post(f"/t/{place.township.code}/guardian-invites/cases/{place.case.id}/revoke",
                    {"invite_id": str(second.id)})
    assert response.status_code == 302
    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    page = client.get(link2)
    assert page.status_code == 410 and "cancelled" in page.get_data(as_text=True)
    revoked = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "guardian_invite.revoke")).all()
    assert revoked and revoked[0].object_id == second.id

    unknown = client.get("/g/invite/not-a-real-token")
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)


def test_revoking_another_case_invite_is_404(client, post, login_as, invite_link, place,
                                             make_person, make_case, db_session):
    invite_link(place)
    (invite,) = _invites(db_session, place.case)
    other_case = make_case(make_person(place.township, name="赵六"), place.staff)
    login_as(place.staff)
    response = post(f"/t/{place.township.code}/guardian-invites/cases/{other_case.id}/revoke",
                    {"invite_id": str(invite.id)})
    assert response.status_code == 404
    db_session.refresh(invite)
    assert invite.revoked_at is None


def test_logged_in_guardian_adds_the_person(client, accept, invite_link, place, make_person,
                                            make_case, db_session):
    first = invite_link(place)
    accept(first, mode="account")
    user = db_session.scalars(select(User).order_by(User.id.desc())).first()
    sibling = make_person(place.township, name="王小红")
    case2 = make_case(sibling, place.staff)
    from tests.guardian.conftest import Place

    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    second = invite_link(Place(place.township, place.staff, sibling, case2))
    client.post("/auth/login", data={"username": user.username,
                                     "password": "correct-horse-battery-9",
                                     "csrf_token": csrf_token(client)})
    page = client.get(second).get_data(as_text=True)
    assert "join-csrf_token" in page
    response = client.post(second, data={"join-csrf_token": csrf_token(client),
                                         "join-choice": "join"})
    assert response.status_code == 302
    home = client.get("/g/").get_data(as_text=True)
    assert "王小明" in home and "王小红" in home
    assert db_session.scalars(select(User).order_by(User.id.desc())).first().id == user.id


def test_staff_account_cannot_take_an_invite(client, login_as, invite_link, place, english,
                                             db_session):
    link = invite_link(place)
    login_as(place.staff)
    page = client.get(link).get_data(as_text=True)
    assert "Log out first" in page
    client.post(link, data={"join-csrf_token": csrf_token(client), "join-choice": "join"})
    (invite,) = _invites(db_session, place.case)
    db_session.refresh(invite)
    assert invite.used_at is None


def test_invite_lifetime_is_configurable(app, client, post, login_as, place, db_session):
    app.config["GUARDIAN_INVITE_DAYS"] = 2
    try:
        login_as(place.staff)
        post(f"/t/{place.township.code}/guardian-invites/cases/{place.case.id}",
             {"guardian_name": "李芳", "relation": "mother"})
    finally:
        app.config.pop("GUARDIAN_INVITE_DAYS")
    (invite,) = _invites(db_session, place.case)
    assert invite.expires_at - invite.created_at == timedelta(days=2)
