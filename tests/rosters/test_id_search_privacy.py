"""ID searches cannot rebuild a masked ID number: longer tails need the reveal permission."""
import re
from datetime import date

import pytest

from portal.domain import idcard
from portal.rosters.models import Guardianship, PovertyAssignment
from tests.rosters.helpers import text

NUMBER = idcard.make("533103", date(1980, 5, 6), 456)
# Another valid number with the same shown characters but other hidden ones.
WRONG = next(n for n in (idcard.make("533103", date(1980, 5, 6), s) for s in range(6, 999, 10))
             if n != NUMBER and n[-2:] == NUMBER[-2:])


@pytest.fixture
def town(make_township):
    return make_township()


def _list(client, town, q):
    response = client.get(f"/t/{town.code}/persons", query_string={"q": q})
    assert response.status_code == 200
    # The CSRF token carries a timestamp: it is not part of what the search answered.
    return re.sub(r'name="csrf[-_]token"( content| value)="[^"]*"', "", text(response))


@pytest.mark.parametrize("role", ["poverty_cadre", "guardian", "supervisor",
                                  "health_coordinator"])
def test_without_reveal_a_hidden_digit_cannot_be_confirmed(role, client, town, make_user,
                                                           make_person, login_as, events,
                                                           db_session):
    assert idcard.mask(NUMBER) == idcard.mask(WRONG) and NUMBER[-3] != WRONG[-3]
    person = make_person(town, name="李四", id_number=NUMBER)
    user = make_user(role, town if role == "poverty_cadre" else None)
    link = {"poverty_cadre": PovertyAssignment, "guardian": Guardianship}.get(role)
    if link:
        db_session.add(link(township_id=town.id, user_id=user.id, person_id=person.id))
        db_session.flush()
    login_as(user)
    # The shown fragment (the last two characters) still finds the person.
    assert "李四" in _list(client, town, NUMBER[-2:])
    for length in (3, 4, 6, 18):
        right, wrong = _list(client, town, NUMBER[-length:]), _list(client, town, WRONG[-length:])
        assert "李四" not in right and "李四" not in wrong
        assert "at most the last 2 characters" in right
        assert right.replace(NUMBER[-length:], "") == wrong.replace(WRONG[-length:], "")
    assert events("person.id_search") == []


def test_with_reveal_longer_tails_and_full_numbers_are_audited_without_the_digits(
        client, town, make_user, make_person, login_as, events):
    make_person(town, name="李四", id_number=NUMBER)
    make_person(town, name="王五", id_number=WRONG)
    user = login_as(make_user("township_staff", town))
    assert "李四" in _list(client, town, NUMBER[-2:])
    assert events("person.id_search") == []  # nothing hidden was searched
    four = _list(client, town, NUMBER[-4:])
    assert "李四" in four and "王五" not in four
    full = _list(client, town, NUMBER)
    assert "李四" in full and "王五" not in full
    logged = events("person.id_search")
    assert [e.details for e in logged] == [{"digits": 4}, {"digits": 18}]
    assert all(e.actor_id == user.id and e.township_id == town.id for e in logged)
    assert all(NUMBER[-4:] not in str(e.details) for e in logged)
    assert "at most the last 6" in _list(client, town, NUMBER[-10:])
