"""Tenant isolation of the batches: a township sees its own batches, and of an assistance unit's
batch across townships only its own people; the city sees all. On PostgreSQL, row-level security
says the same to a query that forgot its filter."""
import html
import secrets
from datetime import date

import pytest
from sqlalchemy import text

from portal.auth.roles import Role
from portal.batches.services import BatchData, add_cases, create_batch, create_unit
from portal.extensions import db
from portal.rls import narrow_to_township
from portal.tenancy import Access


def _access(user, township=None, role=Role.TOWNSHIP_STAFF):
    return Access(user_id=user.id, township=township, roles={role})


@pytest.fixture
def shared(db_session, make_township, make_user, make_case, hospital):
    """Townships A and B, a unit helping both with a batch across them (one person of each),
    A's own batch, and township C outside both."""
    a, b, c = make_township(), make_township(), make_township()
    city = make_user("city_admin")
    staff = {t.id: make_user("township_staff", t) for t in (a, b, c)}
    unit = create_unit(city, name=f"帮扶队{secrets.token_hex(3)}", contact="",
                       township_ids=[a.id, b.id], kept_by=None)
    city_access = _access(city, role=Role.CITY_ADMIN)
    across = create_batch(city, city_access, BatchData(
        organiser="unit", unit_id=unit.id, township_ids=[a.id, b.id], category="hearing",
        hospital_id=hospital.id, held_on=date(2020, 5, 21), places=4))
    own = create_batch(staff[a.id], _access(staff[a.id], a), BatchData(
        organiser="township", category="vision", hospital_id=hospital.id,
        held_on=date(2020, 5, 22), places=3), township=a)
    people = {}
    for township, name in ((a, "甲听力"), (b, "乙听力")):
        case = make_case(township, category="hearing", name=name)
        add_cases(staff[township.id], _access(staff[township.id], township), across, [case])
        people[township.id] = name
    add_cases(staff[a.id], _access(staff[a.id], a), own,
              [make_case(a, category="vision", name="甲视力")])
    return {"a": a, "b": b, "c": c, "city": city, "staff": staff, "across": across,
            "own": own}


def _page(client, url) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, html.unescape(response.get_data(as_text=True))


def test_each_township_sees_its_own_people_of_a_shared_batch_and_the_city_all(
        shared, client, login_as):
    a, b, c, across, own = (shared[k] for k in ("a", "b", "c", "across", "own"))
    login_as(shared["staff"][a.id])
    status, page = _page(client, f"/t/{a.code}/batches/{across.id}")
    assert status == 200 and "甲听力" in page and "乙听力" not in page
    assert "2 / 4" in page  # places are shared: B's person holds one too
    assert _page(client, f"/t/{a.code}/batches/{own.id}")[0] == 200

    login_as(shared["staff"][b.id])
    status, page = _page(client, f"/t/{b.code}/batches/{across.id}")
    assert status == 200 and "乙听力" in page and "甲听力" not in page
    status, page = _page(client, f"/t/{b.code}/batches/{across.id}/print")
    assert status == 200 and "乙听力" in page and "甲听力" not in page
    assert _page(client, f"/t/{b.code}/batches/{own.id}")[0] == 404
    listing = _page(client, f"/t/{b.code}/batches/")[1]
    assert f"/batches/{across.id}" in listing and f"/batches/{own.id}" not in listing

    login_as(shared["staff"][c.id])
    assert _page(client, f"/t/{c.code}/batches/{across.id}")[0] == 404

    login_as(shared["city"])
    status, page = _page(client, f"/city/batches/{across.id}")
    assert status == 200 and "甲听力" in page and "乙听力" in page
    assert f"/city/batches/{own.id}" in _page(client, "/city/batches/")[1]


@pytest.fixture
def portal_role(app, db_session):
    """An ordinary role with the portal's privileges (the suite's superuser is never bound)."""
    if app.config["DB_BACKEND"] != "postgresql":
        pytest.skip("row-level security exists on PostgreSQL only")
    name = f"portal_probe_{secrets.token_hex(6)}"
    db_session.execute(text(f"CREATE ROLE {name} NOLOGIN"))
    db_session.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}"))
    db_session.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {name}"))
    return name


def test_row_level_security_shows_a_township_its_batches_and_its_own_members(
        app, shared, portal_role, db_session):
    a, b, across, own = shared["a"], shared["b"], shared["across"], shared["own"]
    db_session.execute(text(f"SET ROLE {portal_role}"))
    with app.test_request_context("/"):
        narrow_to_township(db.session, b.id)
        batches = set(db.session.scalars(text("SELECT id FROM assessment_batches")))
        assert across.id in batches and own.id not in batches
        members = set(db.session.scalars(text(
            "SELECT DISTINCT township_id FROM assessment_batch_members")))
        assert members == {b.id}
        links = set(db.session.scalars(text(
            "SELECT DISTINCT township_id FROM assistance_unit_townships")))
        assert links == {b.id}
        narrow_to_township(db.session, a.id)
        assert own.id in set(db.session.scalars(text("SELECT id FROM assessment_batches")))
    db_session.execute(text("RESET ROLE"))
