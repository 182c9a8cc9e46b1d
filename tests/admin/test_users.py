"""City-admin user management: access, accounts, memberships, passwords, switching off."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import Membership, User
from portal.models_base import utcnow
from tests.conftest import PASSWORD


def _user(db_session, username):
    return db_session.execute(select(User).where(User.username == username)).scalar_one()


def _actions(db_session):
    return [e.action for e in db_session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


@pytest.fixture
def admin(make_user, login_as):
    return login_as(make_user("city_admin", username="boss"))


@pytest.mark.parametrize("role", ["township_staff", "village_liaison", "poverty_cadre"])
def test_township_roles_get_404_on_admin_pages(client, login_as, make_user, make_township, role):
    township = make_township()
    villages = township.villages[:1] if role == "village_liaison" else None
    login_as(make_user(role, township, villages))
    assert client.get("/city/admin/users").status_code == 404
    assert client.get("/city/admin/users/new").status_code == 404


@pytest.mark.parametrize("role", ["doctor", "guardian"])
def test_assignment_roles_get_404_on_admin_pages(client, login_as, make_user, role):
    login_as(make_user(role))
    assert client.get("/city/admin/users").status_code == 404


@pytest.mark.parametrize("role", ["supervisor", "health_coordinator"])
def test_other_city_roles_get_403(client, login_as, make_user, post, role):
    login_as(make_user(role))
    assert client.get("/city/admin/users").status_code == 403
    assert post("/city/admin/users/new", {"username": "x" * 5}).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/city/admin/users")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_list_search_and_filters(client, admin, make_user, make_township, db_session):
    township = make_township()
    make_user("township_staff", township, username="staff_alpha")
    locked = make_user("doctor", username="doc_beta")
    locked.locked_until = utcnow() + timedelta(minutes=10)
    off = make_user("supervisor", username="sup_gamma")
    off.active = False
    db_session.flush()
    def listed(query=""):
        page = client.get(f"/city/admin/users{query}").get_data(as_text=True)
        return set(re.findall(r'/city/admin/users/\d+">([^<]+)</a>', page))

    assert {"staff_alpha", "doc_beta", "sup_gamma", "boss"} <= listed()
    assert listed("?q=ALPHA") == {"staff_alpha"}
    assert listed(f"?township={township.code}") == {"staff_alpha"}
    assert listed("?role=doctor") == {"doc_beta"}
    assert listed("?status=locked") == {"doc_beta"}
    assert listed("?status=inactive") == {"sup_gamma"}


def test_create_user_with_generated_password_shown_once(client, admin, post, db_session):
    response = post("/city/admin/users/new", {"username": "newbie", "display_name": "新人"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = re.search(r'<code class="fs-4 user-select-all">([^<]+)</code>', page).group(1)
    user = _user(db_session, "newbie")
    assert user.display_name == "新人" and user.memberships == []
    assert shown not in client.get(f"/city/admin/users/{user.id}").get_data(as_text=True)
    # The shown password works.
    client.post("/auth/logout", data={"csrf_token": _token(client)})
    response = client.post("/auth/login", data={
        "username": "newbie", "password": shown, "csrf_token": _token(client)})
    assert response.status_code == 302
    assert "user.create" in _actions(db_session)


def _token(client):
    from tests.conftest import csrf_token

    return csrf_token(client)


def test_create_user_with_typed_password_redirects(client, admin, post, db_session):
    response = post("/city/admin/users/new",
                    {"username": "typed", "password": "a-good-password-1"})
    user = _user(db_session, "typed")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/city/admin/users/{user.id}")


def test_create_user_errors_next_to_fields(client, admin, post, make_user):
    make_user("doctor", username="taken_name")
    page = post("/city/admin/users/new", {"username": "taken_name"}).get_data(as_text=True)
    assert 'id="username-error"' in page and "already taken" in page
    page = post("/city/admin/users/new",
                {"username": "shorty", "password": "short1"}).get_data(as_text=True)
    assert 'id="password-error"' in page and "at least 12 characters" in page
    page = post("/city/admin/users/new", {"username": "bad name!"}).get_data(as_text=True)
    assert 'id="username-error"' in page


def test_add_township_role_needs_township(client, admin, post, make_user, make_township,
                                          db_session):
    target = make_user("doctor", username="target")
    response = post(f"/city/admin/users/{target.id}/memberships/new",
                    {"role": "township_staff", "township": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="township-error"' in page and "choose the township" in page
    assert {m.role for m in target.memberships} == {"doctor"}

    township = make_township()
    response = post(f"/city/admin/users/{target.id}/memberships/new",
                    {"role": "township_staff", "township": township.code})
    assert response.status_code == 302
    db_session.refresh(target)
    assert {(m.role, m.township_id) for m in target.memberships} == {
        ("doctor", None), ("township_staff", township.id)}
    assert "membership.add" in _actions(db_session)


def test_city_role_refuses_township(client, admin, post, make_user, make_township):
    target = make_user("doctor", username="target")
    township = make_township()
    page = post(f"/city/admin/users/{target.id}/memberships/new",
                {"role": "supervisor", "township": township.code}).get_data(as_text=True)
    assert 'id="township-error"' in page and "city-wide role" in page


def test_liaison_needs_villages_of_the_township(client, admin, post, make_user, make_township,
                                               db_session):
    target = make_user("doctor", username="target")
    township = make_township(villages=("甲村", "乙村"))
    other = make_township(villages=("丙村",))
    page = post(f"/city/admin/users/{target.id}/memberships/new",
                {"role": "village_liaison", "township": township.code}).get_data(as_text=True)
    assert 'id="villages-error"' in page
    page = post(f"/city/admin/users/{target.id}/memberships/new",
                {"role": "village_liaison", "township": township.code,
                 "villages": [other.villages[0].id]}).get_data(as_text=True)
    assert 'id="villages-error"' in page and "villages of the chosen township" in page
    response = post(f"/city/admin/users/{target.id}/memberships/new",
                    {"role": "village_liaison", "township": township.code,
                     "villages": [v.id for v in township.villages]})
    assert response.status_code == 302
    db_session.refresh(target)
    liaison = next(m for m in target.memberships if m.role == "village_liaison")
    assert {v.name for v in liaison.villages} == {"甲村", "乙村"}


def test_membership_form_labels_roles(client, admin, make_user):
    target = make_user("doctor", username="target")
    page = client.get(f"/city/admin/users/{target.id}/memberships/new").get_data(as_text=True)
    assert '<label class="form-label" for="role">' in page
    assert "Village liaison" in page and "Township staff" in page


def test_remove_membership(client, admin, post, make_user, make_township, db_session):
    township = make_township()
    target = make_user("township_staff", township, username="target")
    membership_id = target.memberships[0].id
    response = post(f"/city/admin/memberships/{membership_id}/delete")
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Membership, membership_id) is None
    assert "membership.remove" in _actions(db_session)
    assert client.get(f"/city/admin/memberships/{membership_id}/delete").status_code == 405


def test_admin_cannot_remove_own_last_admin_role(client, admin, post, db_session):
    membership_id = admin.memberships[0].id
    post(f"/city/admin/memberships/{membership_id}/delete")
    assert db_session.get(Membership, membership_id) is not None
    assert client.get("/city/admin/users").status_code == 200


def test_admin_cannot_deactivate_self(client, admin, post, db_session):
    response = post(f"/city/admin/users/{admin.id}/active", follow_redirects=True)
    assert "cannot switch off your own account" in response.get_data(as_text=True)
    db_session.refresh(admin)
    assert admin.active


def test_deactivate_kicks_existing_session(app, admin, post, make_user, make_township,
                                           db_session):
    township = make_township()
    staff = make_user("township_staff", township, username="kicked")
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    from tests.conftest import csrf_token

    response = other.post("/auth/login", data={
        "username": "kicked", "password": PASSWORD, "csrf_token": csrf_token(other)})
    assert response.status_code == 302
    assert other.get(f"/t/{township.code}/persons").status_code == 200

    assert post(f"/city/admin/users/{staff.id}/active").status_code == 302
    db_session.refresh(staff)
    assert not staff.active
    response = other.get(f"/t/{township.code}/persons")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert "user.deactivate" in _actions(db_session)

    post(f"/city/admin/users/{staff.id}/active")
    db_session.refresh(staff)
    assert staff.active


def test_reset_password_shows_it_once_and_ends_sessions(app, client, admin, post, make_user,
                                                        db_session):
    # (a health coordinator: a role without the second factor, to log in with the password only)
    target = make_user("health_coordinator", username="forgetful")
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    from tests.conftest import csrf_token

    other.post("/auth/login", data={
        "username": "forgetful", "password": PASSWORD, "csrf_token": csrf_token(other)})
    assert other.get("/city/").status_code == 200

    response = post(f"/city/admin/users/{target.id}/password", {"new_password": ""})
    assert response.status_code == 200
    shown = re.search(r'<code class="fs-4 user-select-all">([^<]+)</code>',
                      response.get_data(as_text=True)).group(1)
    assert other.get("/city/").status_code == 302
    response = other.post("/auth/login", data={
        "username": "forgetful", "password": shown, "csrf_token": csrf_token(other)})
    assert response.status_code == 302
    assert "user.password" in _actions(db_session)
    # The administrator chose it: the user must choose their own before anything else.
    assert other.get("/city/").headers["Location"].endswith("/auth/password")


def test_reset_password_refuses_weak_one(client, admin, post, make_user):
    target = make_user("supervisor", username="weak")
    response = post(f"/city/admin/users/{target.id}/password", {"new_password": "1234567890"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="new_password-error"' in page


def test_admin_resetting_own_password_stays_logged_in(client, admin, post):
    response = post(f"/city/admin/users/{admin.id}/password",
                    {"new_password": "another-password-2"})
    assert response.status_code == 302
    assert client.get("/city/admin/users").status_code == 200


def test_edit_display_name_and_unlock(client, admin, post, make_user, db_session):
    target = make_user("doctor", username="renamed")
    target.locked_until = utcnow() + timedelta(minutes=10)
    db_session.flush()
    assert "Unlock" in client.get(f"/city/admin/users/{target.id}").get_data(as_text=True)
    post(f"/city/admin/users/{target.id}/profile", {"display_name": "王医生"})
    post(f"/city/admin/users/{target.id}/unlock")
    db_session.refresh(target)
    assert target.display_name == "王医生"
    assert target.locked_until is None
    actions = _actions(db_session)
    assert "user.update" in actions and "user.unlock" in actions
    response = post(f"/city/admin/users/{target.id}/profile", {"display_name": ""})
    assert response.status_code == 400
    assert 'id="display_name-error"' in response.get_data(as_text=True)
