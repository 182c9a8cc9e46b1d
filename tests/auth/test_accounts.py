"""Accounts fit for medical data: password rule, forced change, self-service change, TOTP,
revocable sessions, idle and absolute lifetime, equal login time, slowdown not lockout."""
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth import totp
from portal.auth.services import (
    check_password_strength,
    set_active,
    set_password,
)
from portal.models_base import utcnow
from portal.refusals import Refused
from tests.conftest import PASSWORD, TOTP_SECRET, csrf_token


def _login(client, username, password):
    return client.post("/auth/login", data={
        "username": username, "password": password, "csrf_token": csrf_token(client)})


def _post(client, url, **data):
    data["csrf_token"] = csrf_token(client)
    return client.post(url, data=data)


@pytest.fixture
def staff(make_user, make_township):
    township = make_township()
    return make_user("township_staff", township, username="clerk"), township


# a) -----------------------------------------------------------------------------------

@pytest.mark.parametrize("password, code", [
    ("Abcdef1!", "password_too_short"),          # short, though "complex"
    ("password1234", "password_too_weak"),       # breached / common
    ("qwertyuiop12", "password_too_weak"),       # keyboard pattern
    ("Aa1Aa1Aa1Aa1", "password_too_weak"),       # composition rules met, still weak
])
def test_weak_passwords_are_refused(app, password, code):
    with app.app_context(), pytest.raises(Refused) as exc:
        check_password_strength(password)
    assert exc.value.code == code


def test_long_phrase_without_digits_is_accepted(app):
    with app.app_context():
        check_password_strength("violet tractor mango sleeps")  # only letters: fine now
        check_password_strength(PASSWORD)


def test_weak_password_error_is_chinese_next_to_the_field(client, login_as, staff):
    user, _ = staff
    login_as(user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    response = _post(client, "/auth/password", current_password=PASSWORD,
                     new_password="password1234", confirm="password1234")
    page = response.get_data(as_text=True)
    assert 'id="new_password-error"' in page
    assert "太容易被猜到" in page


# b) -----------------------------------------------------------------------------------

def test_admin_created_user_must_choose_own_password(client, login_as, make_user, db_session,
                                                    staff):
    admin = make_user("city_admin")
    login_as(admin)
    response = _post(client, "/city/admin/users/new", username="newbie",
                     display_name="新人", password="temporary-pass-from-admin")
    assert response.status_code == 302
    newbie = db_session.scalars(select(type(admin)).where(type(admin).username == "newbie")).one()
    assert newbie.must_change_password
    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    assert _login(client, "newbie", "temporary-pass-from-admin").status_code == 302
    for url in ("/", "/auth/account", "/city/"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/auth/password"), url
    assert client.get("/auth/password").status_code == 200
    response = _post(client, "/auth/password", current_password="temporary-pass-from-admin",
                     new_password="my own lantern orchard", confirm="my own lantern orchard")
    assert response.status_code == 302
    db_session.refresh(newbie)
    assert not newbie.must_change_password
    assert client.get("/auth/account").status_code == 200


def test_admin_reset_forces_a_change(app, client, staff, db_session, make_user):
    user, _ = staff
    admin = make_user("city_admin")
    with app.test_request_context():
        set_password(user, "reset-by-the-office-42", actor=admin, must_change_password=True)
    assert _login(client, "clerk", "reset-by-the-office-42").status_code == 302
    assert client.get("/").headers["Location"].endswith("/auth/password")


def test_factory_users_are_not_forced(client, login_as, staff):
    user, township = staff
    login_as(user)
    assert client.get(f"/t/{township.code}/persons").status_code == 200


# c) -----------------------------------------------------------------------------------

def test_self_service_change_checks_current_and_twice(client, login_as, staff, db_session):
    user, township = staff
    login_as(user)
    new = "a-brand-new-password-7"
    response = _post(client, "/auth/password", current_password="wrong-one-here-1",
                     new_password=new, confirm=new)
    assert "The current password is wrong." in response.get_data(as_text=True)
    response = _post(client, "/auth/password", current_password=PASSWORD,
                     new_password=new, confirm=new + "x")
    assert "The two new passwords differ." in response.get_data(as_text=True)
    response = _post(client, "/auth/password", current_password=PASSWORD,
                     new_password=new, confirm=new)
    assert response.status_code == 302
    # This session continues, the password is the new one, the change is audited.
    assert client.get(f"/t/{township.code}/persons").status_code == 200
    actions = list(db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == user.id, AuditEvent.actor_id == user.id)))
    assert "user.password" in actions
    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    assert _login(client, "clerk", PASSWORD).status_code == 200
    assert _login(client, "clerk", new).status_code == 302


# d) -----------------------------------------------------------------------------------

@pytest.fixture
def unenrolled_doctor(make_user, db_session):
    doctor = make_user("doctor", username="doc")
    totp.disable(doctor)
    db_session.flush()
    return doctor


def test_required_role_must_enrol_before_any_page(client, unenrolled_doctor, db_session):
    assert _login(client, "doc", PASSWORD).status_code == 302
    response = client.get("/")
    assert response.headers["Location"].endswith("/auth/second-factor/setup")
    page = client.get("/auth/second-factor/setup").get_data(as_text=True)
    assert "data:image/svg+xml" in page and 'id="totp-secret"' in page
    db_session.refresh(unenrolled_doctor)
    secret = totp.secret_of(unenrolled_doctor)
    # Stored encrypted, not in clear.
    assert secret and secret not in unenrolled_doctor.totp_secret
    assert not unenrolled_doctor.totp_enabled
    response = _post(client, "/auth/second-factor/setup", code="000000")
    assert response.status_code == 400
    response = _post(client, "/auth/second-factor/setup", code=pyotp.TOTP(secret).now())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="recovery-codes"' in page
    db_session.refresh(unenrolled_doctor)
    assert unenrolled_doctor.totp_enabled
    assert totp.remaining_recovery_codes(unenrolled_doctor) == 10
    assert client.get("/auth/account").status_code == 200


def test_optional_for_others_enrol_from_account(client, login_as, staff):
    user, _ = staff
    login_as(user)
    assert client.get("/auth/account").status_code == 200
    assert "/auth/second-factor/setup" in client.get("/auth/account").get_data(as_text=True)


@pytest.fixture
def doctor(make_user):
    return make_user("doctor", username="doc2")  # enrolled with TOTP_SECRET by the factory


def test_half_logged_in_grants_nothing(client, doctor):
    response = _login(client, "doc2", PASSWORD)
    assert response.headers["Location"].endswith("/auth/second-factor")
    for url in ("/", "/auth/account", "/auth/password", "/city/"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_code_completes_login_and_cannot_be_reused(client, doctor, db_session):
    _login(client, "doc2", PASSWORD)
    code = pyotp.TOTP(TOTP_SECRET).now()
    assert _post(client, "/auth/second-factor", code=code).status_code == 302
    assert client.get("/auth/account").status_code == 200
    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    _login(client, "doc2", PASSWORD)
    response = _post(client, "/auth/second-factor", code=code)
    assert response.status_code == 200
    assert "already used" in response.get_data(as_text=True)


def test_recovery_code_works_once(client, doctor, db_session):
    with client.application.test_request_context():
        codes = totp._new_recovery_codes(doctor)
    db_session.flush()
    _login(client, "doc2", PASSWORD)
    assert _post(client, "/auth/second-factor", code=codes[0]).status_code == 302
    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    _login(client, "doc2", PASSWORD)
    assert _post(client, "/auth/second-factor", code=codes[0]).status_code == 200
    db_session.refresh(doctor)
    assert totp.remaining_recovery_codes(doctor) == 9


def test_wrong_codes_are_throttled(app, client, doctor, db_session):
    _login(client, "doc2", PASSWORD)
    for _ in range(app.config["TOTP_MAX_FAILURES"] - 1):
        assert _post(client, "/auth/second-factor", code="000000").status_code == 200
    response = _post(client, "/auth/second-factor", code="000000")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    # Even the right code no longer works without the password, and the account waits.
    response = _post(client, "/auth/second-factor", code=pyotp.TOTP(TOTP_SECRET).now())
    assert "/auth/login" in response.headers["Location"]
    db_session.refresh(doctor)
    assert doctor.locked_until is not None


# e) -----------------------------------------------------------------------------------

def _cookie_copy(client):
    return client.get_cookie("session").value


def test_logout_ends_a_copied_session(app, client, login_as, staff):
    user, township = staff
    login_as(user)
    stolen = _cookie_copy(client)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    other = app.test_client()
    other.set_cookie("session", stolen)
    assert other.get(f"/t/{township.code}/persons").status_code == 302


def test_password_change_and_disabling_end_other_sessions(app, client, login_as, staff,
                                                          make_user, db_session):
    user, township = staff
    login_as(user)
    other = app.test_client()
    other.set_cookie("session", _cookie_copy(client))
    assert other.get(f"/t/{township.code}/persons").status_code == 200
    _post(client, "/auth/password", current_password=PASSWORD,
          new_password="a-brand-new-password-7", confirm="a-brand-new-password-7")
    assert other.get(f"/t/{township.code}/persons").status_code == 302
    assert client.get(f"/t/{township.code}/persons").status_code == 200
    with app.test_request_context():
        set_active(user, False, actor=make_user("city_admin"))
    assert client.get(f"/t/{township.code}/persons").status_code == 302


# f) -----------------------------------------------------------------------------------

def _shift(client, key, seconds):
    with client.session_transaction() as sess:
        sess[key] = sess[key] - seconds


def test_idle_timeout(app, client, login_as, staff):
    user, township = staff
    login_as(user)
    _shift(client, "seen_at", (app.config["SESSION_IDLE_MINUTES"] - 1) * 60)
    assert client.get(f"/t/{township.code}/persons").status_code == 200
    _shift(client, "seen_at", (app.config["SESSION_IDLE_MINUTES"] + 1) * 60)
    response = client.get(f"/t/{township.code}/persons")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_absolute_lifetime_despite_activity(app, client, login_as, staff):
    user, township = staff
    login_as(user)
    _shift(client, "auth_at", app.config["SESSION_MAX_HOURS"] * 3600 - 60)
    assert client.get(f"/t/{township.code}/persons").status_code == 200
    _shift(client, "auth_at", 120)
    response = client.get(f"/t/{township.code}/persons")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_defaults():
    from portal.config import Config

    assert Config.SESSION_IDLE_MINUTES == 30 and Config.SESSION_MAX_HOURS == 12


# g) -----------------------------------------------------------------------------------

def test_every_refusal_costs_one_verification_of_the_same_cost(app, client, make_user,
                                                              db_session, monkeypatch):
    """Unknown / switched-off / waiting / wrong-password refusals each cost exactly one Argon2
    verification of a hash with the same parameters, so their time is the same: Argon2's
    cost is set by the parameters written in the verified hash (not the hasher's). Without
    dummy_verify the unknown and the waiting user verify nothing.

    The wall-clock comparison lives in bench/login_timing.py: on a machine shared with
    another test worker, times measured in a test only say how busy the machine was."""
    monkeypatch.setitem(app.config, "ARGON2_TIME_COST", 2)
    monkeypatch.setitem(app.config, "ARGON2_MEMORY_COST", 32 * 1024)
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1000 per minute")
    township = make_township_for_timing(db_session)
    make_user("township_staff", township, username="timing_known")
    off = make_user("poverty_cadre", township, username="timing_off")
    off.active = False
    waiting = make_user("poverty_cadre", township, username="timing_wait")
    waiting.locked_until = utcnow() + timedelta(minutes=5)
    db_session.flush()
    verified = []
    real_verify = PasswordHasher.verify

    def recording_verify(self, hash, password):
        verified.append(extract_parameters(hash))
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", recording_verify)
    costs = {}
    for name in ("timing_known", "timing_nobody", "timing_off", "timing_wait"):
        verified.clear()
        response = _login(client, name, "wrong-password-1")
        assert response.status_code == 200
        expected = "Try again in" if name == "timing_wait" else "Wrong username or password."
        if name != "timing_off":
            assert expected in response.get_data(as_text=True), name
        assert len(verified) == 1, (name, verified)
        costs[name] = (verified[0].time_cost, verified[0].memory_cost,
                       verified[0].parallelism)
    assert set(costs.values()) == {(2, 32 * 1024, app.config["ARGON2_PARALLELISM"])}, costs


def make_township_for_timing(db_session):
    from portal.reference.models import Township

    township = Township(code="timing", name="计时乡", kind="township", position=99)
    db_session.add(township)
    db_session.flush()
    return township


# h) -----------------------------------------------------------------------------------

def test_official_gets_in_after_a_strangers_failures(app, client, staff, db_session):
    user, township = staff
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 3):
        _login(client, "clerk", "stranger-guess-123")
    db_session.refresh(user)
    assert user.locked_until is not None
    wait = (user.locked_until.replace(tzinfo=utcnow().tzinfo)
            if user.locked_until.tzinfo is None else user.locked_until) - utcnow()
    # The wait is bounded and did not grow with the attempts made during it.
    assert wait <= timedelta(seconds=2 * app.config["LOGIN_SLOWDOWN_SECONDS"])
    assert "Try again in" in _login(client, "clerk", PASSWORD).get_data(as_text=True)
    # The window passes (timestamps moved instead of waiting): the right password gets in.
    user.locked_until = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert _login(client, "clerk", PASSWORD).status_code == 302
    assert client.get(f"/t/{township.code}/persons").status_code == 200
    db_session.refresh(user)
    assert user.failed_logins == 0 and user.locked_until is None


def test_a_stranger_from_one_address_is_throttled(app, client, db_session):
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    codes = [_login(client, f"guess{i}", "wrong-password-1").status_code
             for i in range(limit + 1)]
    assert codes[:limit] == [200] * limit
    assert codes[limit] == 429
