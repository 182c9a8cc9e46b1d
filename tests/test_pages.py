"""Every paged list pages the same way: `portal.pages.paginate` (or its capped, keyset form on the
people list) and the one `pager` macro, whose links keep the list's filters and nothing else."""
import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.audit.services import record_event
from portal.cases.services import create_case
from portal.register.models import HolderEntry

ROOT = Path(__file__).resolve().parent.parent
PER_PAGE = 2
ROWS = PER_PAGE + 1  # one more than a page: a second page with one row


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a class="page-link" rel="{rel}" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


def _people(township, make_person, village=None, **fields):
    return [make_person(township, name=f"翻页{n}", name_pinyin=f"fan ye {n}",
                        village=village, **fields) for n in range(ROWS)]


def _users(s):
    users = [s.make_user("township_staff", s.township, username=f"pagetest{n}")
             for n in range(ROWS)]
    return "/city/admin/users", {"q": "pagetest"}, [u.username for u in users]


def _audit(s):
    for n in range(ROWS):
        record_event("person.update", township_id=s.township.id, object_type="persons",
                     object_id=9100 + n)
    s.db_session.flush()
    return "/city/audit/", {"action": "person.update"}, [f"#{9100 + n}<" for n in range(ROWS)]


def _cases(s):
    people = _people(s.township, s.make_person)
    for person in people:
        create_case(s.township, s.staff, person, kind="issue", path="concentrated")
    s.db_session.flush()
    return f"/t/{s.township.code}/cases/", {"kind": "issue"}, [p.name for p in people]


def _persons(s):
    village = s.township.villages[0]
    people = _people(s.township, s.make_person, village=village)
    return (f"/t/{s.township.code}/persons", {"village": str(village.id)},
            [p.name for p in people])


def _holders(s):
    people = _people(s.township, s.make_person)
    for person in people:
        s.db_session.add(HolderEntry(
            township_id=s.township.id, person_id=person.id,
            certificate_number=person.id_number + "41", category="physical", grade=1,
            expires_on=s.today, source="manual"))
    s.db_session.flush()
    return f"/t/{s.township.code}/holders/", {}, [p.name for p in people]


def _objections(s):
    from datetime import date

    from portal.objections.models import Objection

    people = _people(s.township, s.make_person)
    for person in people:
        case = create_case(s.township, s.staff, person, kind="issue", path="concentrated")
        s.db_session.add(Objection(township_id=s.township.id, case_id=case.id, channel="phone",
                                   received_on=date(2026, 12, 7), reason="电话异议"))
    s.db_session.flush()
    return f"/t/{s.township.code}/objections/", {"status": "open"}, [p.name for p in people]


def _city_drill_down(s):
    people = _people(s.township, s.make_person, poverty_registered=True)
    return ("/city/dashboard/list",
            {"kind": "poverty_uncertified", "township": str(s.township.id)},
            [p.name for p in people])


def _township_drill_down(s):
    people = _people(s.township, s.make_person, poverty_registered=True)
    return (f"/t/{s.township.code}/dashboard/list", {"kind": "poverty_uncertified"},
            [p.name for p in people])


def _petitions(s):
    from portal.petitions.services import (
        NewPetition,
        Subject,
        default_unit,
        record_petition,
    )

    subject = Subject(township_id=s.township.id)
    made = [record_petition(NewPetition(
        channel="phone", category="other", content="翻页", petitioner_name=f"翻页{n}",
        petitioner_phone="", subject=subject, unit=default_unit(subject),
        received_on=s.today), actor=s.staff) for n in range(ROWS)]
    s.db_session.flush()
    return f"/t/{s.township.code}/petitions/", {"view": "all"}, [p.reference for p in made]


def _expiring(s):
    from datetime import timedelta

    people = _people(s.township, s.make_person)
    for person in people:
        s.db_session.add(HolderEntry(
            township_id=s.township.id, person_id=person.id,
            certificate_number=person.id_number + "41", category="physical", grade=1,
            expires_on=s.today + timedelta(days=10), source="manual"))
    s.db_session.flush()
    return f"/t/{s.township.code}/expiring/", {"days": "30"}, [p.name for p in people]


def _expired(s):
    from datetime import timedelta

    people = _people(s.township, s.make_person,
                     certificate_expires_on=s.today - timedelta(days=10))
    return (f"/t/{s.township.code}/expiring/expired", {"order": "latest"},
            [p.name for p in people])


def _transfers(s):
    from portal.transfers.models import Transfer

    people = _people(s.township, s.make_person)
    for person in people:
        s.db_session.add(Transfer(
            township_id=s.township.id, person_id=person.id, kind="out_of_county",
            state="left_county", destination="外省", requested_on=s.today,
            requested_by_id=s.staff.id, person_name=person.name, id_masked="533***",
            gender=person.gender, birth_year=1960))
    s.db_session.flush()
    return f"/t/{s.township.code}/transfers/", {"direction": "outgoing"}, [p.name for p in people]


LISTS = {
    "users": ("city_admin", _users),
    "audit": ("city_admin", _audit),
    "cases": ("township_staff", _cases),
    "persons": ("township_staff", _persons),
    "holders": ("township_staff", _holders),
    "objections": ("township_staff", _objections),
    "city_drill_down": ("supervisor", _city_drill_down),
    "township_drill_down": ("township_staff", _township_drill_down),
    "petitions": ("township_staff", _petitions),
    "expiring": ("township_staff", _expiring),
    "expired": ("township_staff", _expired),
    "transfers": ("township_staff", _transfers),
}


@pytest.fixture
def small_pages(app, monkeypatch):
    for module in ("admin", "audit", "cases", "objections", "register", "petitions",
                   "expiring", "transfers"):
        monkeypatch.setattr(f"portal.{module}.views.PER_PAGE", PER_PAGE)
    monkeypatch.setattr("portal.dashboards.views.DRILL_DOWN_PER_PAGE", PER_PAGE)
    monkeypatch.setitem(app.config, "PERSONS_PER_PAGE", PER_PAGE)


@pytest.mark.parametrize("name", sorted(LISTS))
def test_every_paged_list_walks_to_page_two_and_back(
        name, small_pages, english, login_as, make_user, make_township, make_person,
        db_session):
    from types import SimpleNamespace

    from portal.clock import local_today

    role, setup = LISTS[name]
    township = make_township()
    s = SimpleNamespace(township=township, make_user=make_user, make_person=make_person,
                        db_session=db_session, today=local_today(),
                        staff=make_user("township_staff", township))
    url, filters, markers = setup(s)
    login_as(make_user(role, township if role == "township_staff" else None))

    first = english.get(url, query_string=filters)
    assert first.status_code == 200
    first_page = first.get_data(as_text=True)
    assert _link(first_page, "prev") is None
    assert "Page 1" in first_page
    next_url = _link(first_page, "next")
    assert next_url is not None, f"{name}: no link to the next page"
    parts = urlsplit(next_url)
    assert parts.path == url
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query.pop("page") == "2"
    query.pop("after", None)  # the people list's keyset anchor: a row id
    assert query == filters, "the pager keeps the list's filters and adds nothing else"

    second = english.get(next_url)
    assert second.status_code == 200
    second_page = second.get_data(as_text=True)
    assert "Page 2" in second_page and 'aria-current="page"' in second_page
    assert _link(second_page, "next") is None
    back = _link(second_page, "prev")
    assert back is not None and "page=1" in back
    on_first = {m for m in markers if m in first_page}
    on_second = {m for m in markers if m in second_page}
    assert len(on_first) == PER_PAGE and len(on_second) == 1
    assert on_first.isdisjoint(on_second)


def test_a_list_on_one_page_has_no_pager(english, login_as, make_user, make_township):
    township = make_township()
    login_as(make_user("township_staff", township))
    page = english.get(f"/t/{township.code}/holders/").get_data(as_text=True)
    assert "No certificate holders are recorded yet." in page
    assert 'class="pagination' not in page


def test_pager_markup_and_offset_paging_are_written_once():
    templates = [p for p in (ROOT / "templates").rglob("*.html")
                 if p.relative_to(ROOT).as_posix() != "templates/_macros/lists.html"]
    assert not [p.name for p in templates if "pagination" in p.read_text(encoding="utf-8")]
    views = [p for p in (ROOT / "portal").rglob("*.py") if p.name != "pages.py"]
    assert not [p.relative_to(ROOT).as_posix() for p in views
                if ".offset(" in p.read_text(encoding="utf-8")]
