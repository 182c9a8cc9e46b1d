"""Login, lockout, inactive accounts, safe redirects, logout and session invalidation."""
import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.passwords import verify_password
from portal.auth.services import set_password
from tests.conftest import PASSWORD, csrf_token


def _login(client, username, password, query=""):
    return client.post(f"/auth/login{query}", data={
        "username": username, "password": password, "csrf_token": csrf_token(client)})


@pytest.fixture
def staff(make_user, make_township):
    township = make_township()
    return make_user("township_staff", township, username="clerk"), township


def test_password_is_stored_as_argon2id(staff):
    user, _ = staff
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, PASSWORD)


def test_wrong_password_is_refused_with_message(client, staff):
    response = _login(client, "clerk", "wrong-password-1")
    assert response.status_code == 200
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert client.get("/city/").status_code == 302


def test_unknown_user_same_message(client, db_session):
    response = _login(client, "nobody", "wrong-password-1")
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_failures_slow_the_account_down_without_locking_it_out(app, client, staff,
                                                               db_session):
    user, township = staff
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login(client, "clerk", "wrong-password-1")
    db_session.refresh(user)
    assert user.locked_until is not None
    # During the wait even the right password is not checked: "try again in N seconds".
    response = _login(client, "clerk", PASSWORD)
    assert response.status_code == 200
    assert "Try again in" in response.get_data(as_text=True)
    assert client.get(f"/t/{township.code}/persons").status_code == 302
    actions = db_session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == user.id))
    assert "user.locked" in list(actions)


def test_fewer_failures_do_not_lock(app, client, staff, db_session):
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        _login(client, "clerk", "wrong-password-1")
    assert _login(client, "clerk", PASSWORD).status_code == 302


def test_inactive_user_cannot_log_in(client, staff, db_session):
    user, _ = staff
    user.active = False
    db_session.flush()
    response = _login(client, "clerk", PASSWORD)
    assert response.status_code == 200
    assert "switched off" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:x",
                                    "evil.example"])
def test_next_to_another_site_is_ignored(client, staff, target):
    from urllib.parse import quote

    response = _login(client, "clerk", PASSWORD, f"?next={quote(target, safe='')}")
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
    assert not response.headers["Location"].startswith("javascript")


def test_next_inside_the_portal_is_followed(client, staff):
    _user, township = staff
    response = _login(client, "clerk", PASSWORD, f"?next=/t/{township.code}/persons")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{township.code}/persons")


def test_logout_needs_post(client, login_as, staff):
    user, township = staff
    login_as(user)
    assert client.get("/auth/logout").status_code == 405
    assert client.get(f"/t/{township.code}/persons").status_code == 200
    # Without the CSRF token the logout is refused too.
    assert client.post("/auth/logout").status_code == 400
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert client.get(f"/t/{township.code}/persons").status_code == 302


def test_password_change_ends_other_sessions(client, login_as, staff, db_session):
    user, township = staff
    login_as(user)
    assert client.get(f"/t/{township.code}/persons").status_code == 200
    version = user.session_version
    set_password(user, "a-brand-new-password-7")
    db_session.flush()
    assert user.session_version == version + 1
    response = client.get(f"/t/{township.code}/persons")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert _login(client, "clerk", PASSWORD).status_code == 200
    assert _login(client, "clerk", "a-brand-new-password-7").status_code == 302


def test_login_and_logout_are_audited(client, login_as, staff, db_session):
    user, _ = staff
    login_as(user)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    actions = list(db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.id)))
    assert actions[-2:] == ["user.login", "user.logout"]


def test_session_cookie_flags(client, staff):
    response = _login(client, "clerk", PASSWORD)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
