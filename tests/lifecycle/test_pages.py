"""The certificate-life pages: the person page's section, the township's list (paged), the
city's queue, and Chinese by default."""
from __future__ import annotations

from tests.cases.helpers import text
from tests.lifecycle.conftest import life_url
from tests.lifecycle.helpers import the_request


def test_the_person_page_offers_the_requests_to_the_township_office(
        world, holder, client, post, login_as, db_session):
    person, card = holder("王五")
    login_as(world.staff)
    page = text(client.get(f"/t/{world.township.code}/persons/{person.id}"))
    assert "Change, replacement, cancellation" in page
    for path in ("change", "replacement", "reassessment", "cancellation"):
        assert life_url(world.township, f"persons/{person.id}/{path}") in page
    assert card.number not in page  # masked
    post(life_url(world.township, f"persons/{person.id}/replacement"), {"reason": "lost"})
    request = the_request(db_session, person, "replacement")
    page = text(client.get(f"/t/{world.township.code}/persons/{person.id}"))
    assert life_url(world.township, f"requests/{request.id}") in page
    # A village liaison sees the person, not the requests nor the buttons.
    login_as(world.liaison)
    page = text(client.get(f"/t/{world.township.code}/persons/{person.id}"))
    assert "certificate-life" not in page
    assert client.get(life_url(world.township, f"persons/{person.id}/change")
                      ).status_code == 403


def test_the_township_list_pages_and_filters(world, holder, client, post, login_as, app,
                                            monkeypatch):
    monkeypatch.setattr("portal.lifecycle.views.PER_PAGE", 2)
    login_as(world.staff)
    names = ["甲一", "乙二", "丙三"]
    for name in names:
        person, _card = holder(name)
        post(life_url(world.township, f"persons/{person.id}/replacement"), {"reason": "lost"})
    first = text(client.get(life_url(world.township, "")))
    assert sum(n in first for n in names) == 2 and 'rel="next"' in first
    second = text(client.get(life_url(world.township, "?page=2")))
    assert sum(n in second for n in names) == 1 and 'rel="prev"' in second
    none = text(client.get(life_url(world.township, "?kind=cancellation")))
    assert "No request matches these filters." in none


def test_the_city_queue_lists_what_waits_for_it(world, holder, client, post, login_as,
                                                db_session):
    person, _card = holder("王五")
    login_as(world.staff)
    post(life_url(world.township, f"persons/{person.id}/replacement"),
         {"reason": "damaged", "damaged_card_returned": "y"})
    request = the_request(db_session, person, "replacement")
    login_as(world.city)
    assert "No request is waiting" in text(client.get("/city/certificate-life/"))
    login_as(world.staff)
    post(life_url(world.township, f"requests/{request.id}/submit"), {})
    login_as(world.supervisor)
    page = text(client.get("/city/certificate-life/"))
    assert "王五" in page and life_url(world.township, f"requests/{request.id}") in page


def test_pages_are_chinese_by_default(world, holder, client, post, login_as, db_session):
    person, _card = holder("王五")
    login_as(world.staff)
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    page = text(client.get(life_url(world.township, f"persons/{person.id}/replacement")))
    assert "补办证件" in page and "证件遗失" in page
    post(life_url(world.township, f"persons/{person.id}/replacement"), {"reason": "lost"})
    request = the_request(db_session, person, "replacement")
    # A refusal goes back to the request page with the words on it.
    here = life_url(world.township, f"requests/{request.id}")
    page = text(post(f"{here}/submit", {}, headers={"Referer": f"http://localhost{here}"},
                     follow_redirects=True))
    assert "书面遗失声明" in page and "登记中" in page
