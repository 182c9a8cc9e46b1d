"""Cancellation (注销) by each reason, end to end: after it takes effect the certificate is held
nowhere (dashboards, register), the QR check says "cancelled" and nothing else, the card is
recorded as collected or not, and a holder who asked for it cannot apply again for a year."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.cases.models import Case
from portal.cases.services import create_case
from portal.register.models import HolderEntry
from tests.cases.helpers import access, place, text
from tests.lifecycle.conftest import TODAY, life_url, upload
from tests.lifecycle.helpers import (
    counted_as_holder,
    scan,
    the_request,
    township_certified,
)


def _register(post, world, person, **form):
    return post(life_url(world.township, f"persons/{person.id}/cancellation"), form)


def _submit_and_approve(post, login_as, world, request, approver=None):
    assert post(life_url(world.township, f"requests/{request.id}/submit"), {}
                ).status_code == 302
    login_as(approver or world.city)
    return post(life_url(world.township, f"requests/{request.id}/decide"),
                {"decision": "approve"})


def _assert_held_nowhere(db_session, client, world, person, card):
    db_session.refresh(card)
    assert card.status == "cancelled"
    assert not counted_as_holder(db_session, person)
    assert db_session.scalars(select(HolderEntry).where(
        HolderEntry.person_id == person.id)).first() is None
    page = scan(client, card)
    assert "Cancelled" in page and "has been cancelled" in page
    for secret in (person.name, person.id_number, card.number, "Physical", "2030"):
        assert secret not in page


def test_death_reported_by_the_family(world, holder, client, post, login_as, db_session):
    person, card = holder("孙八")
    other, _other_card = holder("周九")
    assert township_certified(db_session, world) == 2
    login_as(world.staff)
    page = text(_register(post, world, person, reason="death", died_on="2021-03-05"))
    assert "cannot be in the future" in page
    assert _register(post, world, person, reason="death", died_on="2021-02-20",
                     card_collected="no").status_code == 302
    request = the_request(db_session, person, "cancellation")
    submit = life_url(world.township, f"requests/{request.id}/submit")
    assert "proof of death" in text(post(submit, {}, follow_redirects=True))
    upload(post, world.township, request.id, kind="death_proof")
    assert _submit_and_approve(post, login_as, world, request).status_code == 302
    db_session.refresh(request)
    db_session.refresh(person)
    assert (request.state, request.effective_on, request.died_on) == (
        "completed", TODAY, date(2021, 2, 20))
    assert person.deceased and request.card_collected is False
    _assert_held_nowhere(db_session, client, world, person, card)
    assert township_certified(db_session, world) == 1
    assert counted_as_holder(db_session, other)
    login_as(world.staff)
    register = text(client.get(f"/t/{world.township.code}/holders/"))
    assert "周九" in register and "孙八" not in register
    # The card comes back later.
    assert post(life_url(world.township, f"requests/{request.id}/card-collected"),
                {"collected_on": "2021-03-01"}).status_code == 302
    db_session.refresh(request)
    assert request.card_collected is True


def test_own_request_bars_a_new_application_for_a_year(world, holder, client, post, login_as,
                                                       db_session, app, monkeypatch):
    person, card = holder("吴十")
    login_as(world.staff)
    _register(post, world, person, reason="own_request", card_collected="yes")
    request = the_request(db_session, person, "cancellation")
    submit = life_url(world.township, f"requests/{request.id}/submit")
    assert "signed written request" in text(post(submit, {}, follow_redirects=True))
    upload(post, world.township, request.id, kind="statement")
    _submit_and_approve(post, login_as, world, request)
    db_session.refresh(request)
    assert (request.reapply_from, request.card_collected) == (date(2022, 3, 2), True)
    _assert_held_nowhere(db_session, client, world, person, card)
    # The walk-in application refuses, with the day applications open again.
    login_as(world.staff)
    walk_in = f"/t/{world.township.code}/walk-ins/new"
    form = {"id_number": person.id_number, "stage": "existing", "open": "1", "kind": "issue",
            "path": "concentrated", "hospital_id": "0"}
    response = post(walk_in, form, headers={"Referer": f"http://localhost{walk_in}"})
    assert response.status_code == 400  # the walk-in form again, with the refusal on it
    page = text(response)
    assert "cancelled at their own request on 2021-03-01" in page
    assert "from 2022-03-02" in page
    assert db_session.scalars(select(Case).where(
        Case.person_id == person.id, Case.state == "registered")).first() is None
    # So does the case page of the person, and the service itself.
    new_case = f"/t/{world.township.code}/cases/new/{person.id}"
    answer = post(new_case, {"kind": "issue", "path": "concentrated"},
                  headers={"Referer": f"http://localhost{new_case}"})
    assert answer.status_code == 200  # the new-case page again, with the refusal flashed
    assert "from 2022-03-02" in text(answer)
    assert "2022-03-02" in text(client.get(f"/t/{world.township.code}/persons/{person.id}"))
    # The anniversary is still barred; the day after, the application is taken.
    monkeypatch.setitem(app.config, "CLOCK_FIXED_TODAY", date(2022, 3, 1))
    from portal.refusals import Refused

    with pytest.raises(Refused) as refused:
        create_case(world.township, world.staff, person, kind="issue", path="concentrated")
    assert refused.value.code == "reapply_barred"
    assert refused.value.params["opens_on"] == "2022-03-02"
    monkeypatch.setitem(app.config, "CLOCK_FIXED_TODAY", date(2022, 3, 2))
    response = post(walk_in, form)
    assert response.status_code == 302
    assert db_session.scalars(select(Case).where(
        Case.person_id == person.id, Case.state == "registered")).one()


def test_no_longer_qualifying_after_reassessment(world, holder, client, post, login_as,
                                                 db_session):
    person, card = holder("郑一")
    login_as(world.staff)
    page = text(_register(post, world, person, reason="not_qualifying"))
    assert "re-assessment case that found" in page
    case = create_case(world.township, world.staff, person, kind="change", path="records")
    place(case, "closed", grade=None, not_disabled_reason="recovered")
    db_session.flush()
    assert _register(post, world, person, reason="not_qualifying",
                     assessment_case=str(case.id)).status_code == 302
    request = the_request(db_session, person, "cancellation")
    assert request.assessment_case_id == case.id
    _submit_and_approve(post, login_as, world, request)
    db_session.refresh(request)
    assert request.state == "completed" and request.reapply_from is None
    _assert_held_nowhere(db_session, client, world, person, card)


def test_fraud_is_revoked_by_the_city_on_its_decision(world, holder, client, post, login_as,
                                                      db_session):
    person, card = holder("冯二")
    login_as(world.staff)
    page = text(_register(post, world, person, reason="fraud", decision_document="x"))
    assert "Choose the reason" in page or "Not a valid choice" in page
    assert the_request(db_session, person, "cancellation") is None
    login_as(world.city)
    page = text(_register(post, world, person, reason="fraud"))
    assert "number of the decision document" in page
    assert _register(post, world, person, reason="fraud",
                     decision_document="芒残联发〔2021〕3号").status_code == 302
    request = the_request(db_session, person, "cancellation")
    post(life_url(world.township, f"requests/{request.id}/submit"), {})
    decide = life_url(world.township, f"requests/{request.id}/decide")
    assert "Another official" in text(post(decide, {"decision": "approve"}))
    login_as(world.approver)
    assert post(decide, {"decision": "approve"}).status_code == 302
    db_session.refresh(request)
    assert (request.state, request.decision_document) == ("completed", "芒残联发〔2021〕3号")
    _assert_held_nowhere(db_session, client, world, person, card)
    assert "芒残联发〔2021〕3号" in text(client.get(
        life_url(world.township, f"requests/{request.id}")))
    # Only a cancellation the holder asked for bars a new application.
    assert request.reapply_from is None
    assert create_case(world.township, world.staff, person, kind="issue", path="concentrated")


def test_an_open_case_must_end_before_a_cancellation(world, holder, post, login_as,
                                                     db_session):
    person, card = holder()
    case = create_case(world.township, world.staff, person, kind="renewal",
                       path="concentrated")
    login_as(world.staff)
    _register(post, world, person, reason="own_request")
    request = the_request(db_session, person, "cancellation")
    upload(post, world.township, request.id, kind="statement")
    _submit_and_approve(post, login_as, world, request)
    page = text(post(life_url(world.township, f"requests/{request.id}/decide"),
                     {"decision": "approve"}, follow_redirects=True))
    assert f"open case (#{case.id})" in page
    db_session.refresh(request)
    db_session.refresh(card)
    assert request.state == "submitted" and card.status == "valid"


def test_a_death_ends_the_open_case_and_needs_no_certificate(world, post, login_as,
                                                            db_session):
    case = world.new_case()
    person = case.person
    login_as(world.staff)
    assert _register(post, world, person, reason="death", died_on="2021-01-10"
                     ).status_code == 302
    request = the_request(db_session, person, "cancellation")
    assert request.certificate_number is None
    upload(post, world.township, request.id, kind="death_proof")
    _submit_and_approve(post, login_as, world, request)
    db_session.refresh(case)
    db_session.refresh(person)
    assert case.state == "deceased" and person.deceased
    assert {e.status for e in person.roster_entries} == {"deceased"}


def test_other_roles_and_townships_cannot_reach_a_request(world, holder, client, post,
                                                          login_as, db_session, make_user,
                                                          make_township):
    person, _card = holder()
    login_as(world.staff)
    _register(post, world, person, reason="own_request")
    request = the_request(db_session, person, "cancellation")
    url = life_url(world.township, f"requests/{request.id}")
    login_as(world.liaison)
    assert client.get(url).status_code == 404
    assert client.get(life_url(world.township, "")).status_code == 403
    other = make_township()
    login_as(make_user("township_staff", other))
    assert client.get(f"/t/{other.code}/certificate-life/requests/{request.id}"
                      ).status_code == 404
    login_as(world.supervisor)
    assert client.get(url).status_code == 200
    assert post(life_url(world.township, f"requests/{request.id}/decide"),
                {"decision": "approve"}).status_code == 403
    assert access(world.supervisor) is not None
