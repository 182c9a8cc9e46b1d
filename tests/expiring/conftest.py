"""A township whose register holds certificates expiring at different distances from today
(fixed with the portal's clock setting), and one holder of another township."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from portal.register.services import Holding, record_holding

TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english


@pytest.fixture(autouse=True)
def today(app, monkeypatch) -> date:
    """Today is TODAY (the portal's PORTAL_TODAY setting)."""
    monkeypatch.setitem(app.config, "CLOCK_FIXED_TODAY", TODAY)
    return TODAY


def hold(db_session, person, expires_on: date, source: str = "national_db") -> None:
    record_holding(person, Holding(person.id_number + "42", "physical", 2, None, expires_on),
                   source, None, today=TODAY)
    db_session.flush()


@pytest.fixture
def holders(db_session, make_township, make_user, make_person):
    """Township T: holders expiring in 30, 100 and 200 days, one expired 5 days ago, one
    renewed, one deceased, one moved out of the county, one with a case open; township U:
    a holder expiring in 10 days."""
    from portal.cases.models import Case

    t, u = make_township(), make_township()
    w = SimpleNamespace(t=t, u=u, staff=make_user("township_staff", t),
                        staff_u=make_user("township_staff", u))
    specs = {"in30": 30, "in100": 100, "in200": 200, "expired": -5, "dead": 20, "left": 20,
             "with_case": 40}
    w.p = {}
    for n, (key, days) in enumerate(specs.items(), start=1):
        w.p[key] = make_person(t, name=f"持证{key}", village=t.villages[0], list_kind=None,
                               phone=f"1391234{n:04d}", guardian_name=f"监护{n}",
                               guardian_phone=f"1380000{n:04d}",
                               mobility="bedridden" if key == "in100" else "can_travel")
        hold(db_session, w.p[key], TODAY + timedelta(days=days))
    w.p["renewed"] = make_person(t, name="持证renewed", list_kind="expired")
    hold(db_session, w.p["renewed"], TODAY - timedelta(days=400))
    hold(db_session, w.p["renewed"], TODAY + timedelta(days=3000))
    w.p["dead"].deceased = True
    w.p["left"].left_county_on = TODAY - timedelta(days=1)
    w.case = Case(township_id=t.id, person_id=w.p["with_case"].id, kind="renewal",
                  path="concentrated", state="registered", created_by_id=w.staff.id)
    db_session.add(w.case)
    w.p["other"] = make_person(u, name="持证other", list_kind=None)
    hold(db_session, w.p["other"], TODAY + timedelta(days=10))
    db_session.flush()
    return w
