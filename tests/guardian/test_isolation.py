"""A guardian reaches only their own applicant, whatever URL they type.

Walks every rule a logged-in guardian can request (the /g/ pages, every township and city rule,
and every other private rule) as the guardian of person A甲 of township A, with the ids of
another person of the same township (A乙) and of township B: the answer is 404, 403 or the
login page, never a page with the other person. The rules come from the URL map, so routes
added later are walked too.
"""
from __future__ import annotations

import copy
from datetime import date, time

import pytest
from sqlalchemy import select

from tests import shared_world
from tests.security.conftest import (
    ARGUMENTS,
    PUBLIC_ENDPOINTS,
    RULES,
    build,
    is_login_redirect,
    is_tenant,
    object_arguments,
    rule_id,
)

# One world per module, each test in a savepoint of it (tests/shared_world.py).
module_connection = shared_world.module_connection
db_session = shared_world.db_session
world = shared_world.world

WALKED = [r for r in RULES if r.endpoint not in PUBLIC_ENDPOINTS]
WITH_OBJECTS = [r for r in WALKED if object_arguments(r)]
GETS = [r for r in WALKED if "GET" in r.methods]
# Arguments that name one person or something of exactly one person's application.
PERSON_LEVEL = {"person_id", "entry_id", "case_id", "visit_id"}
REFUSED = (403, 404)


@pytest.fixture
def guardian_world(world, db_session, make_user, login_as):
    """The security walk's townships, A乙 with a case of its own, and A甲's guardian logged in."""
    from portal.cases.models import Case
    from portal.rosters.models import Guardianship
    from portal.scheduling.models import HomeVisit

    a = world["A"]
    case2 = Case(township_id=a.township.id, person_id=a.person_other_village.id, kind="issue",
                 path="home_visit", state="scheduled", requested_category="mental",
                 created_by_id=a.staff.id)
    db_session.add(case2)
    db_session.flush()
    visit2 = HomeVisit(township_id=a.township.id, case_id=case2.id, visit_date=date(2020, 5, 21),
                       starts_at=time(9), ends_at=time(10), created_by_id=a.staff.id)
    db_session.add(visit2)
    db_session.flush()
    neighbour = copy.copy(a)
    neighbour.person, neighbour.entry = a.person_other_village, a.entry_other_village
    neighbour.case, neighbour.visit = case2, visit2

    guardian = make_user("guardian", username="guardian_of_a")
    db_session.add(Guardianship(township_id=a.township.id, user_id=guardian.id,
                                person_id=a.person.id, relation="mother"))
    db_session.flush()
    login_as(guardian)
    others = [world["A"].person_other_village, world["B"].person, world["B"].person_other_village]
    return {"A": a, "neighbour": neighbour, "B": world["B"], "guardian": guardian,
            "forbidden": [p.name for p in others] + [p.id_number for p in others]}


def _request(client, method, url):
    from tests.conftest import csrf_token

    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(client)})


def _refused(response) -> bool:
    return response.status_code in REFUSED or is_login_redirect(response)


def _methods(rule):
    return [m for m in ("GET", "POST") if m in rule.methods]


@pytest.mark.parametrize("rule", WITH_OBJECTS, ids=rule_id)
def test_other_persons_ids_are_refused(rule, client, guardian_world):
    """With another person's ids (same township or township B) every rule refuses."""
    a, neighbour, b = guardian_world["A"], guardian_world["neighbour"], guardian_world["B"]
    urls = [build(rule, a, overrides={n: ARGUMENTS[n][1](b) for n in object_arguments(rule)})]
    if is_tenant(rule):
        urls.append(build(rule, b))
    if set(rule.arguments) & PERSON_LEVEL:
        urls.append(build(rule, a, overrides={
            n: ARGUMENTS[n][1](neighbour) for n in set(rule.arguments) & PERSON_LEVEL}))
    for url in urls:
        for method in _methods(rule):
            response = _request(client, method, url)
            assert _refused(response), (
                f"guardian of A甲: {method} {url} answered {response.status_code}"
            )
            body = response.get_data(as_text=True)
            leaked = [s for s in guardian_world["forbidden"] if s in body]
            assert not leaked, f"guardian of A甲: {method} {url} shows {leaked}"


@pytest.mark.parametrize("rule", GETS, ids=rule_id)
def test_no_page_shows_another_person(rule, client, guardian_world):
    """Every page the guardian may open with their own ids shows nobody else."""
    url = build(rule, guardian_world["A"])
    response = client.get(url)
    assert response.status_code != 500, f"GET {url} failed for a guardian"
    body = response.get_data(as_text=True)
    leaked = [s for s in guardian_world["forbidden"] if s in body]
    assert not leaked, f"guardian of A甲: GET {url} shows {leaked}"


def test_guardian_sees_their_own_person(client, guardian_world, db_session):
    """Control for the walks: A甲's guardian does reach A甲 and A甲's application."""
    from portal.cases.models import Case

    a = guardian_world["A"]
    assert a.person.name in client.get("/g/").get_data(as_text=True)
    page = client.get(f"/g/persons/{a.person.id}")
    assert page.status_code == 200 and a.person.name in page.get_data(as_text=True)
    case = db_session.scalars(select(Case).where(Case.person_id == a.person.id)).one()
    assert client.get(f"/g/cases/{case.id}/upload").status_code == 200


def test_walk_includes_the_guardian_pages():
    """The walk covers the guardian portal's own rules."""
    endpoints = {r.endpoint for r in WITH_OBJECTS}
    assert {"guardian.show_person", "guardian.upload"} <= endpoints
    assert "guardian.home" in {r.endpoint for r in GETS}
