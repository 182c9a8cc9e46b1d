"""Workflow steps a person must know of write their message in the step's own unit of work:
the 公示 started, the result with the last day to appeal; a refused step writes none."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.cases.workflow import apply_transition
from portal.notices.models import Notice
from portal.refusals import Refused
from tests.cases.helpers import access, place, world  # noqa: F401 - the fixture


@pytest.fixture
def assessed(world, db_session):  # noqa: F811
    from portal.cases.services import create_case

    case = create_case(world.township, world.staff, world.person, kind="issue",
                       path="concentrated")
    world.person.phone = "13800000031"
    db_session.flush()
    return case


def test_publicity_started_and_result_are_told(world, assessed, db_session):  # noqa: F811
    staff = access(world.staff, world.township)
    place(assessed, "assessed", category="physical", grade=None,
          not_disabled_reason="不符合标准")
    with pytest.raises(Refused):  # no grade: the notice cannot start
        apply_transition(assessed, "start_publicity", actor=world.staff, access=staff,
                         starts_on=date(2026, 12, 7), today=date(2026, 12, 4))
    assert db_session.scalars(select(Notice)).all() == []
    apply_transition(assessed, "notify_not_qualified", actor=world.staff, access=staff,
                     notified_on=date(2026, 12, 4), today=date(2026, 12, 4))
    [notice] = db_session.scalars(select(Notice)).all()
    assert notice.kind == "result_ready" and notice.case_id == assessed.id
    appeal = assessed.appeal_due_on
    assert notice.params == {"appeal_by": f"{appeal.month}月{appeal.day}日"}
    assert notice.recipient == "13800000031"


def test_the_notice_start_is_told_with_its_dates(world, assessed, db_session):  # noqa: F811
    staff = access(world.staff, world.township)
    place(assessed, "assessed", category="physical", grade=2)
    apply_transition(assessed, "start_publicity", actor=world.staff, access=staff,
                     starts_on=date(2026, 12, 7), today=date(2026, 12, 4))
    [notice] = db_session.scalars(select(Notice)).all()
    end = assessed.publicity_ends_on
    assert notice.kind == "publicity_started"
    assert notice.params == {"start": "12月7日", "end": f"{end.month}月{end.day}日"}
