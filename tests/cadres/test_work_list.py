"""A cadre's work list end to end: the township assigns poverty-registered persons, the cadre
sees only them with what is next for each, records a contact; a reassignment keeps the
history; the township sees persons without a cadre and cadres idle for 14 days."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import csrf_token

TODAY = date(2026, 6, 1)


@pytest.fixture
def today(app, monkeypatch):
    monkeypatch.setitem(app.config, "CLOCK_FIXED_TODAY", TODAY)
    return TODAY


@pytest.fixture
def town(db_session, make_township, make_user, make_person, today):
    from portal.cases.models import Case
    from portal.scheduling.models import HomeVisit

    township = make_township(code="cadretown")
    other = make_township(code="cadreother")
    staff = make_user("township_staff", township)
    first = make_user("poverty_cadre", township, username="cadre_first")
    second = make_user("poverty_cadre", township, username="cadre_second")
    make_user("poverty_cadre", other, username="cadre_elsewhere")
    village = min(township.villages, key=lambda v: v.name)

    def person(name, **fields):
        return make_person(township, name=name, village=village, poverty_registered=True,
                           **fields)

    docs, attend, collect, plain = person("缺材料"), person("待参加"), person("待领证"), \
        person("未申请")
    not_poor = make_person(township, name="非贫困", village=village)
    cases = {}
    for who, state in ((docs, "registered"), (attend, "scheduled"), (collect, "dispatched")):
        case = Case(township_id=township.id, person_id=who.id, kind="issue", path="home_visit",
                    state=state, requested_category="physical", created_by_id=staff.id)
        db_session.add(case)
        cases[who.name] = case
    db_session.flush()
    db_session.add(HomeVisit(township_id=township.id, case_id=cases["待参加"].id,
                             visit_date=TODAY + timedelta(days=3), starts_at=time(9),
                             ends_at=time(10), address="勐焕村3组", created_by_id=staff.id))
    db_session.flush()
    return {"township": township, "staff": staff, "first": first, "second": second,
            "docs": docs, "attend": attend, "collect": collect, "plain": plain,
            "not_poor": not_poor}


def _post(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def test_a_cadres_list_from_assignment_to_contact(client, login_as, town, db_session):
    from portal.audit.models import AuditEvent
    from portal.rosters.models import PovertyAssignment

    base = "/t/cadretown/cadres"
    login_as(town["staff"])
    page = client.get(base + "/").get_data(as_text=True)
    # All four poverty-registered persons wait for a cadre; the one not registered is absent.
    for name in ("缺材料", "待参加", "待领证", "未申请"):
        assert name in page
    assert "非贫困" not in page
    # Sent without a person: the error is next to the list, in Chinese, nothing assigned.
    refused = _post(client, base + "/", {"cadre_id": town["first"].id})
    assert refused.status_code == 422
    assert 'id="person_ids-error"' in refused.get_data(as_text=True)
    assert "请至少选择一人" in refused.get_data(as_text=True)
    chosen = [town[k].id for k in ("docs", "attend", "collect")]
    done = _post(client, base + "/", {"person_ids": chosen, "cadre_id": town["first"].id})
    assert done.status_code == 302, done.get_data(as_text=True)[done.get_data(as_text=True).find("<main"):][:3000]
    page = client.get(base + "/").get_data(as_text=True)
    without = page[page.index('id="without-cadre"'):page.index('id="cadres"')]
    assert "未申请" in without and "缺材料" not in without

    # The cadre sees exactly the three, each with what is next.
    login_as(town["first"])
    mine = client.get(base + "/mine").get_data(as_text=True)
    assert "未申请" not in mine and "非贫困" not in mine
    rows = {name: mine[mine.index(name):mine.index(name) + 600]
            for name in ("缺材料", "待参加", "待领证")}
    assert 'data-step="documents"' in rows["缺材料"] and "身份证" in rows["缺材料"]
    assert 'data-step="attend"' in rows["待参加"] and "2026-06-04" in rows["待参加"]
    assert 'data-step="collect"' in rows["待领证"]
    # A person not assigned to this cadre: no page, no contact.
    assert client.get(f"{base}/mine/{town['plain'].id}").status_code == 404
    assert _post(client, f"{base}/mine/{town['plain'].id}",
                 {"contacted_on": "2026-05-31", "how": "visit"}).status_code == 404
    # Nor the persons list's page of the unassigned person.
    assert client.get(f"/t/cadretown/persons/{town['plain'].id}").status_code == 404

    url = f"{base}/mine/{town['docs'].id}"
    future = _post(client, url, {"contacted_on": "2026-06-02", "how": "visit"})
    assert future.status_code == 422 and "不能是将来的日期" in future.get_data(as_text=True)
    saved = _post(client, url, {"contacted_on": "2026-05-30", "how": "phone",
                                "note": "提醒带户口簿"})
    assert saved.status_code == 302
    assert "2026-05-30" in client.get(base + "/mine").get_data(as_text=True)

    # The person's page leads the township office to the person's cadres.
    login_as(town["staff"])
    shown = client.get(f"/t/cadretown/persons/{town['docs'].id}").get_data(as_text=True)
    assert f'href="/t/cadretown/cadres/persons/{town["docs"].id}"' in shown
    # Reassignment: the second cadre takes 缺材料, the first's assignment ends (history kept).
    login_as(town["staff"])
    again = _post(client, f"{base}/persons/{town['docs'].id}", {
        "person_ids": town["docs"].id, "cadre_id": town["second"].id})
    assert again.status_code == 302
    rows = db_session.scalars(select(PovertyAssignment).where(
        PovertyAssignment.person_id == town["docs"].id).order_by(PovertyAssignment.id)).all()
    assert [(r.user_id, r.started_on, r.ended_on) for r in rows] == [
        (town["first"].id, TODAY, TODAY), (town["second"].id, TODAY, None)]
    history = client.get(f"{base}/persons/{town['docs'].id}").get_data(as_text=True)
    assert "cadre_first" in history and "cadre_second" in history and "提醒带户口簿" in history
    same = _post(client, f"{base}/persons/{town['docs'].id}", {
        "person_ids": town["docs"].id, "cadre_id": town["second"].id})
    assert same.status_code == 422 and "已分配给该干部" in same.get_data(as_text=True)
    login_as(town["first"])
    assert "缺材料" not in client.get(base + "/mine").get_data(as_text=True)

    actions = [e.action for e in db_session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("cadre.%")).order_by(AuditEvent.id))]
    assert actions == ["cadre.assigned"] * 3 + ["cadre.contact", "cadre.reassigned"]


def test_idle_cadres_and_refusals(client, login_as, town, db_session, app, monkeypatch):
    from portal.cadres.models import CadreContact
    from portal.rosters.models import PovertyAssignment

    base = "/t/cadretown/cadres"
    login_as(town["staff"])
    _post(client, base + "/", {"person_ids": [town["attend"].id], "cadre_id": town["first"].id})
    _post(client, base + "/", {"person_ids": [town["collect"].id],
                               "cadre_id": town["second"].id})
    # Assigned today and no contact yet: nobody is idle before 14 days have passed.
    page = client.get(base + "/").get_data(as_text=True)
    idle = page[page.index('id="idle-cadres"'):page.index('id="without-cadre"')]
    assert "cadre_first" not in idle and "cadre_second" not in idle
    # Each cadre's persons link to their history (where staff reassign them).
    every = page[page.index('id="cadres"'):]
    assert f'href="/t/cadretown/cadres/persons/{town["attend"].id}"' in every
    # A month later, with contacts 15 and 14 days old:
    db_session.execute(update(PovertyAssignment).values(started_on=TODAY - timedelta(days=30)))
    db_session.add_all([
        CadreContact(township_id=town["township"].id, person_id=town["attend"].id,
                     user_id=town["first"].id, contacted_on=TODAY - timedelta(days=15),
                     how="visit"),
        CadreContact(township_id=town["township"].id, person_id=town["collect"].id,
                     user_id=town["second"].id, contacted_on=TODAY - timedelta(days=14),
                     how="phone")])
    db_session.flush()
    page = client.get(base + "/").get_data(as_text=True)
    idle = page[page.index('id="idle-cadres"'):page.index('id="without-cadre"')]
    # Fifteen days ago is idle; exactly fourteen is not yet.
    assert "cadre_first" in idle and "cadre_second" not in idle
    monkeypatch.setitem(app.config, "CLOCK_FIXED_TODAY", TODAY + timedelta(days=1))
    page = client.get(base + "/").get_data(as_text=True)
    assert "cadre_second" in page[page.index('id="idle-cadres"'):page.index('id="without-cadre"')]

    # A cadre of another township, and a person not poverty-registered, are refused.
    elsewhere = db_session.scalars(select(type(town["first"])).where(
        type(town["first"]).username == "cadre_elsewhere")).one()
    wrong = _post(client, f"{base}/persons/{town['plain'].id}",
                  {"person_ids": town["plain"].id, "cadre_id": elsewhere.id})
    assert wrong.status_code == 422
    refused = _post(client, f"{base}/persons/{town['not_poor'].id}",
                    {"person_ids": town["not_poor"].id, "cadre_id": town["first"].id})
    assert refused.status_code == 422 and "不是建档立卡贫困人口" in refused.get_data(as_text=True)
    # Another township's staff do not reach these pages.
    assert client.get(f"/t/cadreother/cadres/persons/{town['docs'].id}").status_code == 404
