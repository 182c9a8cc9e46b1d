"""Guardian portal fixtures: a township with staff, an applicant with a case, invites."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.conftest import csrf_token
from tests.security.conftest import world  # noqa: F401 (fixture)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 2000
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b" " * 500
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4000
LINK_RE = re.compile(r'id="invite-url"[^>]*value="([^"]+)"')


@dataclass
class Place:
    township: object
    staff: object
    person: object
    case: object


@pytest.fixture
def make_case(db_session):
    """A case of `person`, made directly (the workflow is tested elsewhere)."""
    from portal.cases.models import Case

    def _make(person, staff, *, state="registered", path="concentrated",
              category="physical", **fields):
        case = Case(township_id=person.township_id, person_id=person.id, kind="issue",
                    path=path, state=state, requested_category=category,
                    created_by_id=staff.id, **fields)
        db_session.add(case)
        db_session.flush()
        return case

    return _make


@pytest.fixture
def place(make_township, make_user, make_person, make_case):
    township = make_township()
    staff = make_user("township_staff", township)
    person = make_person(township, name="王小明")
    return Place(township, staff, person, make_case(person, staff))


@pytest.fixture
def invite_link(client, post, login_as):
    """Make an invite through the staff page and return the link path shown once."""

    def _invite(place, actor=None, name="李芳", relation="mother"):
        login_as(actor or place.staff)
        url = f"/t/{place.township.code}/guardian-invites/cases/{place.case.id}"
        response = post(url, {"guardian_name": name, "relation": relation,
                              "phone": "13800001234"})
        assert response.status_code == 302, response.get_data(as_text=True)[:1500]
        page = client.get(url).get_data(as_text=True)
        match = LINK_RE.search(page)
        assert match, "the new link is not shown"
        client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
        return match.group(1).replace("http://localhost", "")

    return _invite


@pytest.fixture
def accept(client):
    """Open an invite link and take one of its choices as an anonymous visitor."""

    def _accept(link, mode="once", password="correct-horse-battery-9"):
        token = csrf_token(client)
        if mode == "once":
            data = {"once-csrf_token": token, "once-choice": "session"}
        else:
            data = {"account-csrf_token": token, "account-password": password,
                    "account-confirm": password}
        return client.post(link, data=data)

    return _accept
