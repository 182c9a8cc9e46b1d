"""Failed logins and authorisation refusals are audit events."""
from sqlalchemy import select

from portal.audit.chain import verify_chain
from portal.audit.models import AuditEvent
from portal.auth.services import set_active
from tests.conftest import PASSWORD, csrf_token


def _login(client, username, password):
    return client.post("/auth/login", data={
        "username": username, "password": password, "csrf_token": csrf_token(client)})


def _events(db_session, action):
    return db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.seq)).all()


def test_failed_login_of_an_account_names_it_with_the_reason(app, client, make_user,
                                                             db_session):
    user = make_user("city_admin", username="chief")
    _login(client, "chief", "wrong-password-1")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login(client, "chief", "wrong-password-1")  # the last ones meet a locked account
    (first, *_, last) = _events(db_session, "auth.login_failed")
    assert (first.actor_id, first.object_type, first.object_id) == (user.id, "users", user.id)
    assert first.details == {"reason": "invalid", "account": "known"}
    assert first.ip == "127.0.0.1"
    assert last.details == {"reason": "locked", "account": "known"}
    assert verify_chain(db_session).broken is None


def test_failed_login_of_a_switched_off_account(client, make_user, db_session):
    user = make_user("city_admin", username="gone")
    set_active(user, False)
    _login(client, "gone", PASSWORD)
    (event,) = _events(db_session, "auth.login_failed")
    assert event.actor_id == user.id
    assert event.details == {"reason": "inactive", "account": "known"}


def test_failed_login_with_an_unknown_name_keeps_nothing_typed(client, db_session):
    typed = "Secret-Pass-4711"  # a password typed into the username box
    _login(client, typed, "whatever-else-1")
    (event,) = _events(db_session, "auth.login_failed")
    assert event.actor_id is None and event.object_id is None
    assert event.details == {"reason": "invalid", "account": "unknown"}
    stored = " ".join(str(getattr(event, c.key)) for c in AuditEvent.__table__.columns)
    assert typed.lower() not in stored.lower()


def test_successful_login_is_not_a_failure(client, make_user, db_session):
    make_user("city_admin", username="chief")
    assert _login(client, "chief", PASSWORD).status_code == 302
    assert _events(db_session, "auth.login_failed") == []


def test_403_is_recorded_without_the_query_string(client, login_as, make_user, db_session):
    user = login_as(make_user("health_coordinator"))
    response = client.get("/city/audit/?action=secret-filter&page=2")
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)
    (event,) = _events(db_session, "access.refused")
    assert event.actor_id == user.id
    assert event.details == {"endpoint": "audit.list_events", "method": "GET", "status": 403}
    stored = " ".join(str(getattr(event, c.key)) for c in AuditEvent.__table__.columns)
    assert "secret-filter" not in stored and "page=2" not in stored
    assert verify_chain(db_session).broken is None


def test_403_in_a_township_names_the_township(client, login_as, make_user, make_township,
                                              db_session):
    township = make_township()
    user = login_as(make_user("village_liaison", township, township.villages[:1]))
    assert client.get(f"/t/{township.code}/imports/").status_code == 403
    (event,) = _events(db_session, "access.refused")
    assert (event.actor_id, event.township_id) == (user.id, township.id)
    assert event.details["endpoint"] == "imports.new_import"


def test_404_is_not_an_access_refusal(client, login_as, make_user, db_session):
    login_as(make_user("city_admin"))
    assert client.get("/no/such/page").status_code == 404
    assert _events(db_session, "access.refused") == []


def test_404_hiding_another_township_is_a_refusal(client, login_as, make_user, make_township,
                                                  db_session):
    mine, theirs = make_township(), make_township()
    user = login_as(make_user("township_staff", mine))
    assert client.get(f"/t/{theirs.code}/persons").status_code == 404
    (event,) = _events(db_session, "access.refused")
    assert event.actor_id == user.id
    assert event.details == {"endpoint": "rosters.list_persons", "method": "GET",
                             "status": 404, "refused": "township"}


def test_404_hiding_a_row_outside_the_policy_is_a_refusal(client, login_as, make_user,
                                                          make_township, make_person,
                                                          db_session):
    township = make_township()
    x, y = sorted(township.villages, key=lambda v: v.name)
    elsewhere = make_person(township, village=y)
    liaison = login_as(make_user("village_liaison", township, [x]))
    missing = elsewhere.id + 10_000
    assert client.get(f"/t/{township.code}/persons/{missing}").status_code == 404
    assert _events(db_session, "access.refused") == [], "a missing row is no refusal"
    assert client.get(f"/t/{township.code}/persons/{elsewhere.id}").status_code == 404
    (event,) = _events(db_session, "access.refused")
    assert (event.actor_id, event.township_id) == (liaison.id, township.id)
    assert event.details["refused"] == "object"


def test_404_of_a_city_page_for_township_staff_is_a_refusal(client, login_as, make_user,
                                                            make_township, db_session):
    login_as(make_user("township_staff", make_township()))
    assert client.get("/city/audit/").status_code == 404
    (event,) = _events(db_session, "access.refused")
    assert event.details["refused"] == "city"
