"""A guardian files a petition from the guardian portal, follows it, and asks for a review of
the answer within the time; other guardians and the staff's pages see what they should."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.petitions.models import Petition
from portal.petitions.steps import answer, decide_acceptance
from tests.petitions.conftest import access, events_of, text


def _file(post, world, **fields):
    data = {"person": str(world.person.id), "category": "assessment",
            "content": "孩子的评残结果有疑问", "petitioner_name": "岩保妈妈",
            "petitioner_phone": "13600001111"}
    data.update(fields)
    return post("/g/petitions/new", data)


def test_a_guardian_files_about_an_applicant_and_the_township_handles_it(
        world, client, post, sign_in, db_session):
    sign_in(world.guardian)
    form = text(client.get("/g/petitions/new"))
    assert "岩保" in form
    response = _file(post, world)
    assert response.status_code == 302, text(response)[:3000]
    petition = db_session.scalars(select(Petition)).one()
    assert (petition.channel, petition.filed_by_id, petition.township_id, petition.person_id,
            petition.case_id, petition.unit_kind, petition.unit_township_id) == (
        "guardian", world.guardian.id, world.a.id, world.person.id, world.case.id,
        "township_dpf", world.a.id)
    assert petition.reference in text(client.get("/g/petitions/"))
    assert client.get(f"/g/petitions/{petition.id}").status_code == 200
    sign_in(world.other_guardian)
    assert client.get(f"/g/petitions/{petition.id}").status_code == 404
    assert petition.reference not in text(client.get("/g/petitions/"))
    sign_in(world.staff)
    assert "岩保妈妈" in text(client.get(f"/t/{world.a.code}/petitions/{petition.id}"))


def test_about_the_townships_staff_it_needs_an_applicant_and_goes_to_the_city(
        world, post, sign_in, db_session):
    sign_in(world.guardian)
    response = _file(post, world, person="0", about_township_staff="y")
    assert response.status_code == 400 and 'id="person-error"' in text(response)
    assert _file(post, world, about_township_staff="y").status_code == 302
    petition = db_session.scalars(select(Petition)).one()
    assert (petition.unit_kind, petition.about_township_staff) == ("city_dpf", True)


def test_the_guardian_asks_for_a_review_in_time_and_not_after(world, clock, client, post,
                                                              sign_in, db_session):
    petition = world.petition(filed_by=world.guardian, channel="guardian")
    staff = access(world.staff, world.a)
    decide_acceptance(petition, staff, world.staff, accept=True, note="", told_on=clock.today,
                      told_how="sms")
    answer(petition, staff, world.staff, text="已按规定处理")
    db_session.flush()
    sign_in(world.guardian)
    page = text(client.get(f"/g/petitions/{petition.id}"))
    assert "已按规定处理" in page and 'name="review-reason"' in page
    clock.set(petition.review_until + timedelta(days=1))
    response = post(f"/g/petitions/{petition.id}/review", {"review-reason": "不服"})
    assert response.status_code == 400
    assert 'id="review-reason-error"' in text(response)
    assert db_session.get(Petition, petition.id).state == "answered"
    clock.set(petition.review_until)
    response = post(f"/g/petitions/{petition.id}/review", {"review-reason": "不服"})
    assert response.status_code == 303, text(response)[:3000]
    db_session.refresh(petition)
    assert (petition.state, petition.unit_kind) == ("under_review", "city_dpf")
    assert events_of(db_session, petition)[-1] == "review_requested"
    assert petition.events[-1].actor_id == world.guardian.id
    # The guardian is the petitioner: not named on the timeline to those not handling it.
    sign_in(world.supervisor)
    page = text(client.get(f"/city/petitions/{petition.id}"))
    assert world.guardian.username not in page and 'data-action="review_requested"' in page


def test_staff_pages_are_not_the_guardians(world, client, sign_in):
    petition = world.petition(filed_by=world.guardian, channel="guardian")
    sign_in(world.guardian)
    assert client.get(f"/t/{world.a.code}/petitions/{petition.id}").status_code == 403
    assert client.get(f"/city/petitions/{petition.id}").status_code == 404
    sign_in(world.staff)
    assert client.get("/g/petitions/").status_code == 404
