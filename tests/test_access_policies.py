"""The access-policy registry (portal/access.py): complete, fail-closed, and each assignment rule
written once so that every table agrees on what a doctor, guardian or cadre is linked to."""
from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from portal.access import EVERY, POLICIES, NoAccessPolicy, policy_for
from portal.auth.models import User
from portal.auth.roles import CITY_ROLES, Role
from portal.extensions import db
from portal.tenancy import Access, access_for, scoped


def _models_with_township_column():
    return sorted((m.class_ for m in db.Model.registry.mappers
                   if "township_id" in m.local_table.c), key=lambda cls: cls.__name__)


@pytest.mark.parametrize("model", _models_with_township_column(), ids=lambda c: c.__name__)
def test_every_table_with_township_data_has_a_policy(model):
    assert model in POLICIES, f"write who may see {model.__name__} in portal/access.py"


def test_a_model_without_policy_is_refused(db_session, make_township):
    township = make_township()
    access = Access(user_id=0, township=township, roles=set(Role))
    with pytest.raises(NoAccessPolicy):
        scoped(select(User), access)
    with pytest.raises(NoAccessPolicy):
        policy_for(User)


def test_a_role_a_policy_does_not_name_sees_nothing(db_session, make_township, make_person):
    from portal.rosters.models import ImportJob, RosterReport

    township = make_township()
    make_person(township, village=township.villages[0])
    for model in (ImportJob, RosterReport):
        unnamed = set(Role) - set(POLICIES[model].rules)
        assert Role.VILLAGE_LIAISON in unnamed and Role.GUARDIAN in unnamed
        access = Access(user_id=0, township=township, roles={Role.VILLAGE_LIAISON})
        sql = str(scoped(select(model), access).compile(db.engine,
                                                        compile_kwargs={"literal_binds": True}))
        assert "0 = 1" in sql or "false" in sql.lower(), sql


def test_every_rule_is_every_row_or_a_condition():
    for model, policy in POLICIES.items():
        for role, rule in policy.rules.items():
            assert rule == EVERY or callable(rule), (model.__name__, role)


def test_city_roles_read_people_everywhere_but_parcels_only_in_the_certificate_office():
    from portal.certificates.models import DispatchBatch
    from portal.rosters.models import Person

    assert {POLICIES[Person].rules.get(r) for r in CITY_ROLES} == {EVERY}
    assert Role.HEALTH_COORDINATOR not in POLICIES[DispatchBatch].rules
    for role in (Role.VILLAGE_LIAISON, Role.GUARDIAN, Role.DOCTOR, Role.POVERTY_CADRE):
        assert role not in POLICIES[DispatchBatch].rules


def test_a_doctor_on_a_visiting_team_sees_the_visit_its_case_and_the_person(
        db_session, make_township, make_person, make_user):
    """One doctor rule: the team member of a home visit (not the case's assessing doctor) reaches
    the township, the visit, the case and the person alike."""
    from portal.cases.models import Case
    from portal.rosters.models import Person
    from portal.scheduling.models import HomeVisit, HomeVisitMember

    township = make_township()
    person = make_person(township, village=township.villages[0])
    other = make_person(township, village=township.villages[0])
    staff = make_user("township_staff", township)
    team_doctor = make_user("doctor")
    case = Case(township_id=township.id, person_id=person.id, kind="issue", path="home_visit",
                state="scheduled", requested_category="physical", created_by_id=staff.id)
    db_session.add(case)
    db_session.flush()
    visit = HomeVisit(township_id=township.id, case_id=case.id, visit_date=date(2020, 5, 20),
                      starts_at=time(9), ends_at=time(10), created_by_id=staff.id)
    visit.members.append(HomeVisitMember(township_id=township.id, user_id=team_doctor.id,
                                         is_doctor=True))
    db_session.add(visit)
    db_session.flush()

    access = access_for(team_doctor, township)
    assert access is not None and access.roles == {Role.DOCTOR}
    seen = {model: set(db.session.scalars(scoped(select(model.id), access)))
            for model in (Person, Case, HomeVisit)}
    assert seen == {Person: {person.id}, Case: {case.id}, HomeVisit: {visit.id}}
    assert other.id not in seen[Person]
    workspace = Access(user_id=team_doctor.id, township=None, roles={Role.DOCTOR})
    assert set(db.session.scalars(scoped(select(Person.id), workspace))) == {person.id}


def test_township_wide_rows_are_not_shown_in_a_cross_township_workspace(
        db_session, make_township, make_user):
    from portal.reference.models import Village

    township = make_township()
    workspace = Access(user_id=make_user("doctor").id, township=None, roles={Role.DOCTOR})
    assert list(db.session.scalars(scoped(select(Village.id), workspace))) == []
    inside = Access(user_id=workspace.user_id, township=township, roles={Role.DOCTOR})
    assert set(db.session.scalars(scoped(select(Village.id), inside))) == {
        v.id for v in township.villages}
