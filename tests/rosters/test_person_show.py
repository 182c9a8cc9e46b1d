"""A person's record: masked by default, audited view, explicit audited reveal."""
import pytest

from portal.domain import idcard
from portal.rosters.models import PovertyAssignment
from tests.rosters.helpers import text


@pytest.fixture
def town(make_township):
    return make_township()


@pytest.fixture
def person(town, make_person):
    return make_person(town, name="钱七", phone="13812345678", guardian_name="钱大",
                       guardian_phone="0692-7654321")


def test_show_masks_and_audits_the_view(client, town, person, make_user, login_as, events):
    staff = login_as(make_user("township_staff", town))
    response = client.get(f"/t/{town.code}/persons/{person.id}")
    assert response.status_code == 200
    page = text(response)
    assert "钱七" in page and "钱大" in page
    assert person.id_number not in page
    assert idcard.mask(person.id_number) in page
    assert "13812345678" not in page and "7654321" not in page
    assert person.birth_date.isoformat() in page
    [event] = events("person.view")
    assert (event.actor_id, event.object_id, event.township_id) == (staff.id, person.id, town.id)
    assert events("person.reveal") == []


def test_reveal_shows_once_and_is_audited(client, post, town, person, make_user, login_as,
                                          events):
    staff = login_as(make_user("township_staff", town))
    response = post(f"/t/{town.code}/persons/{person.id}/reveal")
    assert response.status_code == 200  # rendered directly, never a redirect carrying data
    page = text(response)
    assert person.id_number in page
    assert "13812345678" in page and "0692-7654321" in page
    [event] = events("person.reveal")
    assert (event.actor_id, event.object_id) == (staff.id, person.id)
    assert person.id_number not in str(event.details)
    # The next plain view is masked again.
    assert person.id_number not in text(client.get(f"/t/{town.code}/persons/{person.id}"))


def test_reveal_needs_csrf(client, town, person, make_user, login_as, events):
    login_as(make_user("township_staff", town))
    response = client.post(f"/t/{town.code}/persons/{person.id}/reveal")
    assert response.status_code == 400
    assert events("person.reveal") == []


def test_reveal_needs_the_permission(client, post, town, person, make_user, login_as, events,
                                     db_session):
    cadre = make_user("poverty_cadre", town)
    db_session.add(PovertyAssignment(township_id=town.id, user_id=cadre.id, person_id=person.id))
    db_session.flush()
    login_as(cadre)
    page = text(client.get(f"/t/{town.code}/persons/{person.id}"))
    assert "Show full ID number" not in page
    assert post(f"/t/{town.code}/persons/{person.id}/reveal").status_code == 403
    assert events("person.reveal") == []


def test_reveal_of_foreign_person_is_404(client, post, town, make_township, make_person,
                                         make_user, login_as):
    other = make_township()
    stranger = make_person(other, name="外人")
    login_as(make_user("township_staff", town))
    assert post(f"/t/{town.code}/persons/{stranger.id}/reveal").status_code == 404
