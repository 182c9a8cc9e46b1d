"""The audit log page: who may see it, order, filters, pages."""
from datetime import datetime

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.audit.services import record_event
from portal.models_base import utcnow


@pytest.mark.parametrize("role", ["city_admin", "supervisor"])
def test_city_admin_and_supervisor_see_events(client, login_as, make_user, db_session, role):
    login_as(make_user(role, username="reader"))
    response = client.get("/city/audit/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "user.login" in page and "reader" in page
    assert "127.0.0.1" in page


def test_health_coordinator_gets_403(client, login_as, make_user):
    login_as(make_user("health_coordinator"))
    assert client.get("/city/audit/").status_code == 403


@pytest.mark.parametrize("role", ["township_staff", "village_liaison", "poverty_cadre"])
def test_township_roles_cannot_reach_it(client, login_as, make_user, make_township, role):
    township = make_township()
    villages = township.villages[:1] if role == "village_liaison" else None
    login_as(make_user(role, township, villages))
    assert client.get("/city/audit/").status_code == 404


def test_newest_first_and_filters(client, login_as, make_user, make_township, db_session):
    township = make_township()
    other = make_township()
    admin = login_as(make_user("city_admin", username="chief"))
    staff = make_user("township_staff", township, username="clerk")
    old = record_event("person.create", actor=staff, township_id=township.id,
                       object_type="persons", object_id=7)
    old.occurred_at = datetime(2020, 5, 1, 3, 0, tzinfo=utcnow().tzinfo)
    record_event("person.reveal", actor=staff, township_id=township.id,
                 object_type="persons", object_id=8, details={"field": "id_number"})
    record_event("person.update", actor=admin, township_id=other.id,
                 object_type="persons", object_id=9)
    db_session.flush()

    page = client.get("/city/audit/").get_data(as_text=True)
    assert page.index("person.update") < page.index("person.reveal") < page.index("person.create")
    assert "field=id_number" in page

    page = client.get("/city/audit/?action=person.re").get_data(as_text=True)
    assert "person.reveal" in page and "person.update" not in page

    page = client.get(f"/city/audit/?township={township.code}").get_data(as_text=True)
    assert "person.reveal" in page and "person.update" not in page

    page = client.get("/city/audit/?township=-").get_data(as_text=True)
    assert "user.login" in page and "person.reveal" not in page

    page = client.get("/city/audit/?actor=CLERK").get_data(as_text=True)
    assert "person.create" in page and "person.update" not in page

    page = client.get("/city/audit/?date_from=2020-05-01&date_to=2020-05-01").get_data(
        as_text=True)
    assert "person.create" in page and "person.reveal" not in page

    page = client.get("/city/audit/?date_from=2020-05-02&date_to=2020-05-01").get_data(
        as_text=True)
    assert 'id="date_to-error"' in page


def test_translated_label_shown(client, login_as, make_user):
    login_as(make_user("city_admin"))
    page = client.get("/city/audit/").get_data(as_text=True)
    assert "Logged in" in page


def test_pages(client, login_as, make_user, db_session):
    login_as(make_user("city_admin"))
    for n in range(60):
        record_event("test.page", object_type="things", object_id=n)
    db_session.flush()
    first = client.get("/city/audit/?action=test.").get_data(as_text=True)
    assert "things #59" in first and "things #9<" not in first
    assert "page=2" in first
    second = client.get("/city/audit/?action=test.&page=2").get_data(as_text=True)
    assert "things #9<" in second and "things #59" not in second
    assert db_session.scalar(select(AuditEvent.id).where(AuditEvent.action == "test.page")
                             .limit(1)) is not None


def test_audit_tail_command(runner, make_user, db_session):
    user = make_user("city_admin", username="tailer")
    record_event("user.update", actor=user, obj=user, details={"fields": ["display_name"]})
    db_session.flush()
    result = runner.invoke(args=["audit", "tail", "-n", "1"])
    assert result.exit_code == 0, result.output
    assert "tailer" in result.output and "user.update" in result.output
    assert result.output.count("\n") == 1
