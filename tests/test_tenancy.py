"""The scoping helpers of DESIGN.md §3: what each role sees, and that every tenant table has
the column they filter on."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from portal.auth.roles import Permission, Role
from portal.extensions import db
from portal.rosters.models import Guardianship, Person, PovertyAssignment, RosterEntry
from portal.tenancy import Access, access_for, get_scoped_or_404, require, scoped

# Tables with a nullable township_id that are not tenant data, and why.
NOT_TENANT_TABLES = {
    "memberships": "a city role's membership has no township",
    "audit_events": "city-wide events (user management, logins) have no township",
    "print_batches": "a city print batch may gather approved cases of several townships",
    "jobs": "a city-wide background job (the county's holder list) has no township",
    "petitions": "a petition may concern no township, and one about a township's own staff "
                 "must stay hidden from it: the access policy is the wall (docs/petitions.md)",
    "supervision_notices": "a notice to the health bureau or a hospital has no township",
    "accountability_records": "a record about a city-level unit has no township",
}


@pytest.fixture
def two(db_session, make_township, make_person):
    """Townships A and B; A has villages X and Y with one person each, B one person."""
    a = make_township(villages=("X村", "Y村"))
    b = make_township(villages=("X村",))
    x, y = sorted(a.villages, key=lambda v: v.name)
    return {
        "a": a, "b": b, "x": x, "y": y,
        "px": make_person(a, name="甲", village=x),
        "py": make_person(a, name="乙", village=y),
        "pb": make_person(b, name="丙", village=b.villages[0]),
    }


def _ids(stmt, access) -> set[int]:
    return set(db.session.scalars(scoped(stmt, access)))


def test_staff_sees_whole_own_township_only(two, make_user):
    staff = make_user("township_staff", two["a"])
    access = access_for(staff, two["a"])
    assert access.whole_township and not access.city_wide
    assert _ids(select(Person.id), access) == {two["px"].id, two["py"].id}
    assert get_scoped_or_404(Person, two["py"].id, access) is two["py"]
    with pytest.raises(NotFound):
        get_scoped_or_404(Person, two["pb"].id, access)
    assert access_for(staff, two["b"]) is None


@pytest.mark.parametrize("bad_id", ["abc", None, "1.5", ""])
def test_malformed_id_is_404(two, make_user, bad_id):
    access = access_for(make_user("township_staff", two["a"]), two["a"])
    with pytest.raises(NotFound):
        get_scoped_or_404(Person, bad_id, access)


def test_missing_and_foreign_look_alike(two, make_user):
    access = access_for(make_user("township_staff", two["a"]), two["a"])
    missing = db.session.scalar(select(db.func.max(Person.id))) + 1000
    for object_id in (missing, two["pb"].id):
        with pytest.raises(NotFound) as raised:
            get_scoped_or_404(Person, object_id, access)
        assert raised.value.code == 404


def test_liaison_sees_only_own_villages(two, make_user):
    liaison = make_user("village_liaison", two["a"], [two["x"]])
    access = access_for(liaison, two["a"])
    assert access.village_ids == {two["x"].id} and not access.whole_township
    assert _ids(select(Person.id), access) == {two["px"].id}
    with pytest.raises(NotFound):
        get_scoped_or_404(Person, two["py"].id, access)
    entry_y = db.session.scalar(select(RosterEntry).where(RosterEntry.person_id == two["py"].id))
    with pytest.raises(NotFound):
        get_scoped_or_404(RosterEntry, entry_y.id, access)
    assert {e.person_id for e in db.session.scalars(scoped(select(RosterEntry), access))} == {
        two["px"].id
    }


def test_liaison_of_two_villages_sees_both(two, make_user):
    liaison = make_user("village_liaison", two["a"], [two["x"], two["y"]])
    assert _ids(select(Person.id), access_for(liaison, two["a"])) == {
        two["px"].id, two["py"].id
    }


def test_liaison_without_village_sees_nobody(two):
    access = Access(user_id=0, township=two["a"], roles={Role.VILLAGE_LIAISON})
    assert _ids(select(Person.id), access) == set()


def test_township_wide_models_are_visible_to_liaisons(two, make_user):
    from portal.reference.models import Village

    liaison = make_user("village_liaison", two["a"], [two["x"]])
    names = set(db.session.scalars(scoped(select(Village.name), access_for(liaison, two["a"]))))
    assert names == {"X村", "Y村"}


def test_guardian_sees_only_their_applicant(two, db_session, make_user):
    guardian = make_user("guardian")
    assert access_for(guardian, two["a"]) is None  # no applicant yet: no access at all
    db_session.add(Guardianship(township_id=two["a"].id, user_id=guardian.id,
                                person_id=two["py"].id))
    db_session.flush()
    access = access_for(guardian, two["a"])
    assert access.roles == {Role.GUARDIAN}
    assert _ids(select(Person.id), access) == {two["py"].id}
    with pytest.raises(NotFound):
        get_scoped_or_404(Person, two["px"].id, access)
    assert access_for(guardian, two["b"]) is None


def test_poverty_cadre_sees_only_assigned_households(two, db_session, make_user):
    cadre = make_user("poverty_cadre", two["a"])
    access = access_for(cadre, two["a"])
    assert _ids(select(Person.id), access) == set()
    db_session.add(PovertyAssignment(township_id=two["a"].id, user_id=cadre.id,
                                     person_id=two["px"].id))
    db_session.flush()
    assert _ids(select(Person.id), access) == {two["px"].id}
    with pytest.raises(NotFound):
        get_scoped_or_404(Person, two["py"].id, access)
    assert access_for(cadre, two["b"]) is None


def test_doctor_without_assignment_has_no_township_access(two, make_user):
    assert access_for(make_user("doctor"), two["a"]) is None


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.SUPERVISOR, Role.HEALTH_COORDINATOR])
def test_city_roles_see_every_township_and_one_inside_it(two, make_user, role):
    user = make_user(role.value)
    citywide = access_for(user, None)
    assert citywide.city_wide and citywide.township is None
    every = _ids(select(Person.id), citywide)
    assert {two["px"].id, two["py"].id, two["pb"].id} <= every
    assert get_scoped_or_404(Person, two["pb"].id, citywide) is two["pb"]
    inside_a = access_for(user, two["a"])
    assert _ids(select(Person.id), inside_a) == {two["px"].id, two["py"].id}
    with pytest.raises(NotFound):
        get_scoped_or_404(Person, two["pb"].id, inside_a)


def test_user_without_role_has_no_access(two, db_session):
    from portal.auth.services import create_user

    nobody = create_user("nobody", "correct-horse-battery-9")
    db_session.flush()
    assert access_for(nobody, two["a"]) is None
    assert access_for(nobody, None) is None


def test_access_without_township_or_city_role_sees_nothing(two):
    access = Access(user_id=0, township=None, roles={Role.TOWNSHIP_STAFF})
    assert _ids(select(Person.id), access) == set()


def test_no_access_in_request_is_404(two, app):
    with app.test_request_context("/"):
        g.pop("access", None)
        with pytest.raises(NotFound):
            scoped(select(Person))
        with pytest.raises(NotFound):
            get_scoped_or_404(Person, two["px"].id)


def test_scoped_defaults_to_the_request_access(two, make_user, app):
    staff = make_user("township_staff", two["a"])
    with app.test_request_context("/"):
        g.access = access_for(staff, two["a"])
        assert get_scoped_or_404(Person, two["px"].id) is two["px"]
        with pytest.raises(NotFound):
            get_scoped_or_404(Person, two["pb"].id)


def test_require_permission_is_403_inside_own_township(two, make_user, app):
    guarded = require(Permission.IMPORT_ROSTER)(lambda: "done")
    with app.test_request_context("/"):
        g.access = access_for(make_user("village_liaison", two["a"], [two["x"]]), two["a"])
        with pytest.raises(Forbidden):
            guarded()
        g.access = access_for(make_user("township_staff", two["a"]), two["a"])
        assert guarded() == "done"


# --- every tenant table carries the column the scoping helpers filter on ---------------------

def _mapped_tables():
    return {m.class_: m.local_table for m in db.Model.registry.mappers}


def _tenant_models():
    return sorted(
        (cls for cls, table in _mapped_tables().items()
         if "township_id" in table.c and table.name not in NOT_TENANT_TABLES),
        key=lambda cls: cls.__name__,
    )


def test_tenant_models_exist():
    names = {cls.__name__ for cls in _tenant_models()}
    assert {"Person", "RosterEntry", "RosterReport", "ImportJob", "Village"} <= names


@pytest.mark.parametrize("model", _tenant_models(), ids=lambda cls: cls.__name__)
def test_tenant_column_is_not_null_indexed_foreign_key(model):
    table = model.__table__
    column = table.c.township_id
    assert not column.nullable, f"{table.name}.township_id must be NOT NULL"
    assert {fk.target_fullname for fk in column.foreign_keys} == {"townships.id"}
    leading = {next(iter(ix.columns)).name for ix in table.indexes}
    leading |= {next(iter(uq.columns)).name for uq in table.constraints
                if isinstance(uq, sa.UniqueConstraint) and uq.columns}
    assert column.index or column.unique or "township_id" in leading, (
        f"{table.name}.township_id needs an index (or an index that starts with it)"
    )


@pytest.mark.parametrize("model", _tenant_models(), ids=lambda cls: cls.__name__)
def test_scoped_filters_every_tenant_model_by_township(model, two):
    access = Access(user_id=0, township=two["a"], roles={Role.TOWNSHIP_STAFF})
    sql = str(scoped(select(model), access).compile(db.engine))
    assert f"{model.__table__.name}.township_id = " in sql


def test_tables_that_point_at_tenant_data_are_tenant_tables():
    """A table with a foreign key to tenant data must carry township_id itself, or it could
    only be scoped through a join that a view might forget."""
    tenant_tables = {cls.__table__.name for cls in _tenant_models()}
    offenders = []
    for table in _mapped_tables().values():
        if "township_id" in table.c:
            continue
        targets = {fk.column.table.name for fk in table.foreign_keys}
        if targets & tenant_tables:
            offenders.append(f"{table.name} -> {sorted(targets & tenant_tables)}")
    assert not offenders, offenders


def test_not_tenant_exemptions_are_current():
    names = {table.name for table in _mapped_tables().values()}
    assert set(NOT_TENANT_TABLES) <= names
