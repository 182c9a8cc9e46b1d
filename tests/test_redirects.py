"""Every `next` and the language switch's return address stay on this site, however a browser
would read the address."""
from __future__ import annotations

import pytest

from portal.redirects import local_path
from tests.conftest import PASSWORD, csrf_token

OFF_SITE = ["//evil.example", "/\t/evil.example", "/\\evil.example", "\\/evil.example",
            "\\\\evil.example", " //evil.example", "/\r\n/evil.example", "\x01//evil.example",
            "https://evil.example/", "http:/evil.example", "javascript:alert(1)",
            "evil.example", "/\t\\evil.example", ""]
ON_SITE = ["/", "/t/mangshi/persons", "/city/audit/?page=2", "/auth/login#top"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_off_site_addresses_are_refused(target):
    assert local_path(target) is None


@pytest.mark.parametrize("target", ON_SITE)
def test_paths_of_the_site_are_kept(target):
    assert local_path(target) == target


@pytest.mark.parametrize("target", OFF_SITE[:8])
def test_language_switch_goes_home_instead(client, post, target):
    response = post("/language", {"locale": "en", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE[:8])
def test_login_goes_home_instead(client, make_user, make_township, target, db_session):
    user = make_user("township_staff", make_township())  # one step: no second factor
    response = client.post("/auth/login", query_string={"next": target}, data={
        "username": user.username, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/", response.headers["Location"]
