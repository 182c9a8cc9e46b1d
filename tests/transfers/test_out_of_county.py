"""A move out of the county closes the person here with the destination recorded; the page
says plainly that cross-province handling is not the portal's."""
from __future__ import annotations

import html

from sqlalchemy import select

from portal.dashboards.services import township_dashboard
from portal.rosters.models import Guardianship, Person, PovertyAssignment, RosterEntry
from portal.tenancy import access_for
from portal.transfers.models import Transfer
from tests.transfers.conftest import DAY0


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _leave(post, w, **data):
    form = {"leave-destination": "四川省成都市武侯区", "leave-reason": "随子女外出定居",
            "leave-confirm": "y"}
    form.update(data)
    return post(f"/t/{w.a.code}/transfers/leave/{w.person.id}", data=form)


def test_a_move_out_of_the_county_closes_the_person_here(county, client, post, login_as,
                                                         db_session, events):
    w = county
    login_as(w.staff_a)
    page = _text(client.get(f"/t/{w.a.code}/transfers/new/{w.person.id}"))
    assert "跨省通办" in page and "not part of this portal" in page

    unconfirmed = _leave(post, w, **{"leave-confirm": ""})
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm the move out of the county." in _text(unconfirmed)
    nowhere = _leave(post, w, **{"leave-destination": " "})
    assert nowhere.status_code == 400 and "This field is required." in _text(nowhere)
    assert db_session.scalars(select(Transfer)).all() == []

    assert _leave(post, w).status_code == 302
    db_session.expire_all()
    transfer = db_session.scalars(select(Transfer)).one()
    assert (transfer.kind, transfer.state, transfer.destination, transfer.to_township_id,
            transfer.decided_on) == ("out_of_county", "left_county", "四川省成都市武侯区",
                                     None, DAY0)
    person = db_session.get(Person, w.person.id)
    assert person.left_county_on == DAY0 and person.township_id == w.a.id
    # Nobody works for the person any more: guardian, cadre, open survey entries.
    assert db_session.scalars(select(Guardianship.ended_at)).one() is not None
    # The cadre's assignment ended (kept in the sending township's history), none is open.
    assignments = db_session.scalars(select(PovertyAssignment)).all()
    assert assignments and all(a.ended_on is not None for a in assignments)
    assert {e.status for e in db_session.scalars(select(RosterEntry))} == {"withdrawn"}
    assert [e.details["person_id"] for e in events("transfer.left_county")] == [person.id]

    # Counted nowhere in the county from that day.
    dash = township_dashboard(access_for(w.staff_a, w.a), w.a, None, DAY0, 3600)
    assert (dash.total.get("persons"), dash.total.get("certified")) == (0, 0)
    record = _text(client.get(f"/t/{w.a.code}/transfers/{transfer.id}"))
    assert "四川省成都市武侯区" in record and "跨省通办" in record
    shown = _text(client.get(f"/t/{w.a.code}/persons/{w.person.id}"))
    assert f"Moved out of the county on {DAY0.isoformat()}" in shown
    assert "Transfer to another township or out of the county" not in shown
    # Neither a second move nor a transfer is possible.
    again = _leave(post, w)
    assert again.status_code == 409 and "moved out of the county on" in _text(again)


def test_the_receiving_township_cannot_reach_the_person_page_of_the_request(
        county, client, post, login_as, db_session):
    w = county
    login_as(w.staff_b)
    assert client.get(f"/t/{w.b.code}/transfers/new/{w.person.id}").status_code == 404
    assert post(f"/t/{w.b.code}/transfers/leave/{w.person.id}",
                data={"leave-destination": "x", "leave-confirm": "y"}).status_code == 404
    assert db_session.get(Person, w.person.id).left_county_on is None


def test_a_village_liaison_has_no_transfer_pages(county, client, login_as, make_user):
    w = county
    liaison = make_user("village_liaison", w.a, [w.a.villages[0]])
    login_as(liaison)
    assert client.get(f"/t/{w.a.code}/transfers/").status_code == 403
    assert client.get(f"/t/{w.a.code}/transfers/new/{w.person.id}").status_code == 403
    assert "person-transfers" not in _text(client.get(f"/t/{w.a.code}/persons/{w.person.id}"))
