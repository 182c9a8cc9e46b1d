"""Fixtures of the certificate tests: approved cases ready for printing."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

import portal.clock
from portal.domain.certificate import make_number
from tests.cases.helpers import place, world  # noqa: F401


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english


@pytest.fixture
def approved(world, make_person, db_session):  # noqa: F811
    """Make an approved case (with its certificate number) of a new person of the township."""

    def _make(name="王五", kind="issue", approved_at=datetime(2020, 9, 1, 2, 0, tzinfo=UTC),
              **person_fields):
        person = make_person(world.township, name=name, village=world.village, **person_fields)
        case = world.new_case("under_review", person=person)
        place(case, "approved", kind=kind, category="physical", grade=2,
              certificate_number=make_number(person.id_number, "physical", 2),
              approved_by_id=world.approver.id, approved_at=approved_at)
        db_session.flush()
        return case

    return _make


class _HandoverDay(datetime):
    """The clock on the day of the handovers these tests record through the pages."""

    @classmethod
    def now(cls, tz=None):
        return datetime(2020, 9, 13, 10, 0, tzinfo=tz)


@pytest.fixture
def handover_day(monkeypatch) -> date:
    """Today is 2020-09-13 (a handover on that day is not entered late)."""
    monkeypatch.setattr(portal.clock, "datetime", _HandoverDay)
    return date(2020, 9, 13)
