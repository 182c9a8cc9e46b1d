"""Walks every URL rule: login required, tenant isolation (404), CSRF on every POST.

The rules are read from the app's URL map, so a route added later is walked too; a route whose
URL argument the walkers cannot fill fails with a message naming the argument.
"""
from __future__ import annotations

import pytest

from tests import shared_world
from tests.conftest import csrf_token
from tests.security.conftest import (
    ARGUMENTS,
    MACHINE_ENDPOINTS,
    PERSON_ARGUMENTS,
    PUBLIC_ENDPOINTS,
    RULES,
    build,
    is_city,
    is_login_redirect,
    is_tenant,
    object_arguments,
    rule_id,
)

# One world per module, each test in a savepoint of it (tests/shared_world.py).
module_connection = shared_world.module_connection
db_session = shared_world.db_session
world = shared_world.world

PRIVATE = [r for r in RULES if r.endpoint not in PUBLIC_ENDPOINTS]
TENANT = [r for r in RULES if is_tenant(r)]
TENANT_WITH_OBJECTS = [r for r in TENANT if object_arguments(r)]
CITY = [r for r in RULES if is_city(r)]
# Rules outside /t/ and /city/ that name an object still must not reach another township's.
OTHER_WITH_OBJECTS = [
    r for r in PRIVATE if not is_tenant(r) and not is_city(r) and object_arguments(r)
]
PERSON_RULES = [r for r in TENANT if set(r.arguments) & PERSON_ARGUMENTS]
POST_RULES = [r for r in RULES if "POST" in r.methods and r.endpoint not in MACHINE_ENDPOINTS]


def _methods(rule) -> list[str]:
    return [m for m in ("GET", "POST") if m in rule.methods]


def _request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(client)})


def test_the_walk_covers_the_portal():
    """The walkers see the routes they are meant to guard, and the allow-list is current."""
    endpoints = {r.endpoint for r in RULES}
    assert set(PUBLIC_ENDPOINTS) <= endpoints, "remove stale entries from PUBLIC_ENDPOINTS"
    assert TENANT and CITY and POST_RULES
    assert "rosters.list_persons" in {r.endpoint for r in TENANT}


@pytest.mark.parametrize("rule", PRIVATE, ids=rule_id)
def test_login_required(rule, client, world):
    """An anonymous visitor is sent to the login page on every non-public rule."""
    url = build(rule, world["A"])
    for method in _methods(rule):
        response = _request(client, method, url)
        assert is_login_redirect(response), (
            f"anonymous {method} {url} answered {response.status_code}, not the login page"
        )


@pytest.mark.parametrize("rule", TENANT, ids=rule_id)
def test_foreign_township_is_404(rule, client, login_as, world):
    """Staff of A get 404 on every page of township B, and on an unknown township code."""
    a, b = world["A"], world["B"]
    login_as(a.staff)
    for method in _methods(rule):
        for url in (build(rule, b), build(rule, a, code="no-such-township")):
            response = _request(client, method, url)
            assert response.status_code == 404, (
                f"staff of {a.code}: {method} {url} answered {response.status_code}, not 404"
            )


@pytest.mark.parametrize("rule", TENANT_WITH_OBJECTS, ids=rule_id)
def test_foreign_object_in_own_township_url_is_404(rule, client, login_as, world):
    """Staff of A asking for B's objects under A's own URL get 404 (object-level check)."""
    a, b = world["A"], world["B"]
    login_as(a.staff)
    overrides = {name: ARGUMENTS[name][1](b) for name in object_arguments(rule)}
    url = build(rule, a, overrides=overrides)
    for method in _methods(rule):
        response = _request(client, method, url)
        assert response.status_code == 404, (
            f"staff of {a.code}: {method} {url} (objects of {b.code}) answered "
            f"{response.status_code}, not 404"
        )


@pytest.mark.parametrize("rule", TENANT, ids=rule_id)
def test_own_township_is_reachable(rule, client, login_as, world):
    """Control for the 404 walks: the same pages with A's own objects do not 404 for A's staff."""
    a = world["A"]
    login_as(a.staff)
    url = build(rule, a)
    if "GET" not in rule.methods:
        pytest.skip("POST-only rule: reached by the CSRF walk")
    response = client.get(url)
    assert response.status_code not in (403, 404, 500), (
        f"staff of {a.code}: GET {url} answered {response.status_code}; the walkers' objects "
        "must be reachable by their own township (fix ARGUMENTS or the world fixture)"
    )


@pytest.mark.parametrize("rule", CITY, ids=rule_id)
def test_city_pages_are_404_for_township_staff(rule, client, login_as, world):
    """Township staff do not learn that city pages exist."""
    a, b = world["A"], world["B"]
    login_as(a.staff)
    for side in (a, b):
        url = build(rule, side)
        for method in _methods(rule):
            response = _request(client, method, url)
            assert response.status_code == 404, (
                f"township staff: {method} {url} answered {response.status_code}, not 404"
            )


@pytest.mark.parametrize("rule", OTHER_WITH_OBJECTS, ids=rule_id)
def test_foreign_object_outside_tenant_urls_is_404(rule, client, login_as, world):
    """A rule outside /t/ that names an object hides township B's objects from A's staff."""
    a, b = world["A"], world["B"]
    login_as(a.staff)
    url = build(rule, b)
    for method in _methods(rule):
        response = _request(client, method, url)
        assert response.status_code == 404, (
            f"staff of {a.code}: {method} {url} answered {response.status_code}, not 404"
        )


@pytest.mark.parametrize("rule", PERSON_RULES, ids=rule_id)
def test_liaison_sees_only_own_village(rule, client, login_as, world):
    """A liaison of village X gets 404 for a person of village Y of the same township."""
    a = world["A"]
    login_as(a.liaison)
    url = build(rule, a, overrides={"person_id": a.person_other_village.id,
                                    "entry_id": a.entry_other_village.id})
    for method in _methods(rule):
        response = _request(client, method, url)
        assert response.status_code == 404, (
            f"liaison of {a.village.name}: {method} {url} (person of {a.other_village.name}) "
            f"answered {response.status_code}, not 404"
        )
    if "GET" in rule.methods:
        own = client.get(build(rule, a))
        assert own.status_code != 404, f"liaison cannot reach their own village's person: {url}"


@pytest.mark.parametrize("rule", POST_RULES, ids=rule_id)
def test_csrf_enforced_on_every_post(rule, client, login_as, world):
    """Every POST without the token is refused with 400; with the token it is not a CSRF 400."""
    a = world["A"]
    if rule.endpoint != "auth.login":
        login_as(world["city_admin"] if is_city(rule) else a.staff)
    url = build(rule, a)
    response = client.post(url, data={})
    assert response.status_code == 400, (
        f"POST {url} without a CSRF token answered {response.status_code}, not 400"
    )
    refusal = _main(response)
    assert refusal == _main(client.post("/auth/login", data={})), (
        f"POST {url} without a CSRF token was refused, but not with the CSRF error page"
    )
    response = client.post(url, data={"csrf_token": csrf_token(client)})
    assert not (response.status_code == 400 and _main(response) == refusal), (
        f"POST {url} with a valid CSRF token was refused as a CSRF failure"
    )


def _main(response) -> str:
    """The <main> part of a page (the CSRF refusal is recognised by it, in any language)."""
    page = response.get_data(as_text=True)
    return page[page.find("<main"):page.find("</main>")]

