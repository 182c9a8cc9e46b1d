"""A transfer walked end to end through the pages: the sending township asks, the receiving
township sees only what it needs, accepts on a later day (the clock moved with PORTAL_TODAY's
setting), and from that day the person, the certificate and the history are its own and count
in its holding rate, not in the sender's."""
from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy import select

from portal.cases.models import Case, CaseEvent
from portal.certificates.models import Certificate, DispatchBatch, Handover
from portal.dashboards.services import township_dashboard
from portal.register.models import HolderEntry
from portal.rosters.models import Guardianship, Person, PovertyAssignment, RosterEntry
from portal.tenancy import access_for
from portal.transfers.models import Transfer
from tests.transfers.conftest import DAY0


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _line(user, township, day):
    """The township's dashboard figures on `day`, through the cached summary (figures older
    than an hour would be recomputed; these are not: only marking them stale refreshes)."""
    dash = township_dashboard(access_for(user, township), township, None, day,
                              max_age_seconds=3600)
    return dash.total.get("persons"), dash.total.get("certified"), dash.total.rate


def _request(post, w, **data):
    form = {"move-to_township": str(w.b.id), "move-new_address": "乙乡新街2号",
            "move-reason": "随子女迁居"}
    form.update(data)
    return post(f"/t/{w.a.code}/transfers/new/{w.person.id}", data=form)


def _only_transfer(db_session) -> Transfer:
    return db_session.scalars(select(Transfer)).one()


def test_a_transfer_moves_the_person_and_the_holding_rate_on_the_day_of_acceptance(
        county, clock, client, post, login_as, db_session, events):
    w = county
    assert _line(w.staff_a, w.a, DAY0)[:2] == (1, 1)
    assert _line(w.staff_b, w.b, DAY0)[:2] == (0, 0)

    login_as(w.staff_a)
    page = _text(client.get(f"/t/{w.a.code}/persons/{w.person.id}"))
    assert "Transfer to another township or out of the county" in page
    response = _request(post, w)
    assert response.status_code == 302, _text(response)[:3000]
    transfer = _only_transfer(db_session)
    assert (transfer.state, transfer.township_id, transfer.to_township_id) == (
        "requested", w.a.id, w.b.id)
    assert transfer.requested_on == DAY0
    _receiver_sees_only_the_request(w, transfer, client, login_as)

    # Three days later, still waiting: the person counts in A.
    day = clock.move_to(DAY0 + timedelta(days=3))
    assert _line(w.staff_a, w.a, day)[:2] == (1, 1)
    assert _line(w.staff_b, w.b, day)[:2] == (0, 0)

    login_as(w.staff_b)
    village = w.b.villages[0]
    response = post(f"/t/{w.b.code}/transfers/{transfer.id}/accept",
                    data={"village": str(village.id), "note": "已核实户籍"})
    assert response.status_code == 302, _text(response)[:3000]
    db_session.expire_all()
    transfer = _only_transfer(db_session)
    assert (transfer.state, transfer.decided_on, transfer.to_village_id) == (
        "accepted", day, village.id)

    # From the day of acceptance: counted in B, not in A (the cached figures were refreshed).
    assert _line(w.staff_a, w.a, day) == (0, 0, 0)
    persons_b, certified_b, rate_b = _line(w.staff_b, w.b, day)
    assert (persons_b, certified_b) == (1, 1) and rate_b == 0.1

    person = db_session.get(Person, w.person.id)
    assert (person.township_id, person.village_id, person.address) == (
        w.b.id, village.id, "乙乡新街2号")
    _assert_history_moved(db_session, w)
    _assert_audited(w, events)
    _receiver_has_the_person(w, client)
    _sender_keeps_only_the_record(w, transfer, day, client, login_as)


def _receiver_sees_only_the_request(w, transfer, client, login_as):
    login_as(w.staff_b)
    listed = _text(client.get(f"/t/{w.b.code}/transfers/"))
    assert "迁移人" in listed and "1 request(s) from other townships wait" in listed
    shown = _text(client.get(f"/t/{w.b.code}/transfers/{transfer.id}"))
    assert "迁移人" in shown and transfer.id_masked in shown and "乙乡新街2号" in shown
    assert w.person.id_number not in shown and "13912345678" not in shown
    assert "甲乡老街1号" not in shown and "Accept the person into this township" in shown
    assert client.get(f"/t/{w.b.code}/persons/{w.person.id}").status_code == 404
    assert client.get(f"/t/{w.b.code}/cases/{w.history.case.id}").status_code == 404
    # Uninvolved township C sees nothing of it.
    login_as(w.staff_c)
    assert client.get(f"/t/{w.c.code}/transfers/{transfer.id}").status_code == 404
    assert "迁移人" not in _text(client.get(f"/t/{w.c.code}/transfers/"))


def _assert_audited(w, events):
    [accepted] = events("transfer.accepted")
    assert accepted.township_id == w.b.id and accepted.details["from_township_id"] == w.a.id
    assert accepted.details["moved"]["certificates"] == 1
    assert accepted.details["cadre_assignments_ended"] == [w.cadre.id]
    assert [e.township_id for e in events("transfer.requested")] == [w.a.id]


def _receiver_has_the_person(w, client):
    """The receiving township has the person, the case, the certificate, the register entry
    (still logged in as its staff)."""
    assert client.get(f"/t/{w.b.code}/persons/{w.person.id}").status_code == 200
    assert client.get(f"/t/{w.b.code}/cases/{w.history.case.id}").status_code == 200
    assert "迁移人" in _text(client.get(f"/t/{w.b.code}/holders/"))
    assert "迁移人" in _text(client.get(f"/t/{w.b.code}/cases/"))


def _sender_keeps_only_the_record(w, transfer, day, client, login_as):
    login_as(w.staff_a)
    record = _text(client.get(f"/t/{w.a.code}/transfers/{transfer.id}"))
    assert "迁移人" in record and f"since {day.isoformat()}" in record
    assert f"/persons/{w.person.id}" not in record
    assert client.get(f"/t/{w.a.code}/persons/{w.person.id}").status_code == 404
    assert client.get(f"/t/{w.a.code}/cases/{w.history.case.id}").status_code == 404
    parcel = f"certificates/dispatches/{w.history.parcel.id}"  # the old parcel stays A's
    assert client.get(f"/t/{w.a.code}/{parcel}").status_code == 200
    for listing in ("holders/", "cases/", "persons", "expiring/expired", parcel):
        assert "迁移人" not in _text(client.get(f"/t/{w.a.code}/{listing}")), listing


def _assert_history_moved(db_session, w):
    for model, column in ((RosterEntry, RosterEntry.person_id),
                          (HolderEntry, HolderEntry.person_id),
                          (Guardianship, Guardianship.person_id),
                          (Case, Case.person_id), (Certificate, Certificate.person_id)):
        assert set(db_session.scalars(select(model.township_id).where(column == w.person.id))) \
            == {w.b.id}, model.__name__
    assert db_session.scalars(select(CaseEvent.township_id).where(
        CaseEvent.case_id == w.history.case.id)).all() == [w.b.id]
    assert db_session.scalars(select(Handover.township_id)).all() == [w.b.id]
    # The parcel the card came in is the sender's history; the cadre's assignment ended.
    assert db_session.get(DispatchBatch, w.history.parcel.id).township_id == w.a.id
    # The cadre's assignment ended (kept in the sending township's history), none is open.
    assignments = db_session.scalars(select(PovertyAssignment)).all()
    assert assignments and all(a.ended_on is not None for a in assignments)


def test_the_receiving_township_declines_with_a_reason(county, client, post, login_as,
                                                       db_session, events):
    w = county
    login_as(w.staff_a)
    assert _request(post, w).status_code == 302
    transfer = _only_transfer(db_session)
    login_as(w.staff_b)
    url = f"/t/{w.b.code}/transfers/{transfer.id}/decline"
    refused = post(url, data={"reason": "  "})
    assert refused.status_code == 400 and "This field is required." in _text(refused)
    assert post(url, data={"reason": "查无此户籍迁入记录"}).status_code == 302
    db_session.expire_all()
    assert _only_transfer(db_session).state == "declined"
    assert db_session.get(Person, w.person.id).township_id == w.a.id
    # A late acceptance of the declined request is refused, and nothing moves.
    late = post(f"/t/{w.b.code}/transfers/{transfer.id}/accept", data={"village": "0"})
    assert late.status_code == 409
    assert "already been answered or withdrawn" in _text(late)
    assert client.get(f"/t/{w.b.code}/persons/{w.person.id}").status_code == 404

    login_as(w.staff_a)
    page = _text(client.get(f"/t/{w.a.code}/transfers/{transfer.id}"))
    assert "查无此户籍迁入记录" in page and "Declined" in page
    assert client.get(f"/t/{w.a.code}/persons/{w.person.id}").status_code == 200
    assert len(events("transfer.declined")) == 1
    # The person may be asked for again (the pending request is no longer pending).
    assert _request(post, w).status_code == 302


def test_the_sender_withdraws_and_only_the_receiver_answers(county, client, post, login_as,
                                                            db_session):
    w = county
    login_as(w.staff_a)
    _request(post, w)
    transfer = _only_transfer(db_session)
    # The sender cannot accept its own request; a second request is refused.
    assert post(f"/t/{w.a.code}/transfers/{transfer.id}/accept",
                data={"village": "0"}).status_code == 403
    again = _request(post, w)
    assert again.status_code == 409
    assert "already waiting for the receiving township's answer" in _text(again)
    assert post(f"/t/{w.a.code}/transfers/{transfer.id}/withdraw",
                data={"note": "家属改变主意"}).status_code == 302
    db_session.expire_all()
    assert _only_transfer(db_session).state == "withdrawn"
    login_as(w.staff_b)
    assert post(f"/t/{w.b.code}/transfers/{transfer.id}/accept",
                data={"village": "0"}).status_code == 409
    assert db_session.get(Person, w.person.id).township_id == w.a.id


def test_a_request_is_refused_while_a_case_is_open_and_for_the_own_township(
        county, client, post, login_as, db_session):
    w = county
    w.history.case.state = "registered"
    db_session.flush()
    login_as(w.staff_a)
    refused = _request(post, w)
    assert refused.status_code == 409
    assert f"Case #{w.history.case.id} of this person is still open" in _text(refused)
    own = _request(post, w, **{"move-to_township": str(w.a.id)})
    assert own.status_code == 400
    assert "Choose the township the person moves to." in _text(own)
    assert db_session.scalars(select(Transfer)).all() == []


def test_the_receiving_village_must_be_its_own(county, client, post, login_as, db_session):
    w = county
    login_as(w.staff_a)
    _request(post, w)
    transfer = _only_transfer(db_session)
    login_as(w.staff_b)
    foreign = post(f"/t/{w.b.code}/transfers/{transfer.id}/accept",
                   data={"village": str(w.a.villages[0].id)})
    assert foreign.status_code == 409
    assert "Choose one of this township's villages." in _text(foreign)
    db_session.expire_all()
    assert _only_transfer(db_session).state == "requested"
    assert db_session.get(Person, w.person.id).township_id == w.a.id


def test_a_case_opened_while_the_request_waits_stops_the_acceptance(county, client, post,
                                                                    login_as, db_session):
    w = county
    login_as(w.staff_a)
    _request(post, w)
    transfer = _only_transfer(db_session)
    w.history.case.state = "registered"  # the sending township took the person up again
    db_session.flush()
    login_as(w.staff_b)
    refused = post(f"/t/{w.b.code}/transfers/{transfer.id}/accept", data={"village": "0"})
    assert refused.status_code == 409
    assert f"Case #{w.history.case.id} of this person is still open" in _text(refused)
    db_session.expire_all()
    assert _only_transfer(db_session).state == "requested"
    assert db_session.get(Person, w.person.id).township_id == w.a.id
