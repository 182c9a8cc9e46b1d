"""The township office ends a guardian's access to a person: at once, with a reason, audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.rosters.models import Guardianship


@pytest.fixture
def linked(db_session, make_township, make_user, make_person):
    township = make_township()
    person = make_person(township, village=township.villages[0], name="被监护人")
    guardian = make_user("guardian")
    link = Guardianship(township_id=township.id, user_id=guardian.id, person_id=person.id,
                        relation="子女")
    db_session.add(link)
    db_session.flush()
    return township, person, guardian, link


def _end_url(township, person, link):
    return f"/t/{township.code}/persons/{person.id}/guardianships/{link.id}/end"


def test_staff_end_the_access_and_the_guardian_loses_it_at_once(
        linked, client, post, login_as, make_user, db_session):
    township, person, guardian, link = linked
    person_url = f"/t/{township.code}/persons/{person.id}"
    login_as(guardian)
    assert client.get(person_url).status_code == 200
    staff = login_as(make_user("township_staff", township))
    page = client.get(person_url).get_data(as_text=True)
    assert _end_url(township, person, link) in page
    response = post(_end_url(township, person, link), {"reason": "监护关系已变更"})
    assert response.status_code == 302
    db_session.refresh(link)
    assert link.ended_at is not None and link.ended_by_id == staff.id
    assert link.end_reason == "监护关系已变更"
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "guardianship.end")).one()
    assert event.actor_id == staff.id and event.object_id == link.id
    assert "监护关系" not in str(event.details)
    assert _end_url(township, person, link) not in client.get(person_url).get_data(as_text=True)
    login_as(guardian)
    assert client.get(person_url).status_code == 404


def test_a_reason_is_required_and_shown_next_to_its_field(linked, client, post, login_as,
                                                          make_user, db_session):
    township, person, _, link = linked
    login_as(make_user("township_staff", township))
    response = post(_end_url(township, person, link), {"reason": "  "})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="end-reason-{link.id}-error"' in page and 'aria-invalid="true"' in page
    db_session.refresh(link)
    assert link.ended_at is None


@pytest.mark.parametrize("role", ["village_liaison", "poverty_cadre"])
def test_other_roles_of_the_township_cannot_end_it(linked, client, post, login_as, make_user,
                                                   db_session, role):
    township, person, _, link = linked
    user = (make_user(role, township, township.villages[:1]) if role == "village_liaison"
            else make_user(role, township))
    login_as(user)
    assert post(_end_url(township, person, link), {"reason": "x"}).status_code in (403, 404)
    db_session.refresh(link)
    assert link.ended_at is None
