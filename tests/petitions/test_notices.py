"""A petition accepted and answered tells the petitioner by SMS, through the outbox, in the
same unit of work as the step; the message names the reference, never the content."""
from __future__ import annotations

from sqlalchemy import select

from portal.notices.models import Notice
from portal.petitions import steps
from tests.petitions.conftest import access


def test_acceptance_and_answer_are_told_through_the_outbox(world, clock, db_session):
    petition = world.petition()
    staff = access(world.staff, world.a)
    steps.decide_acceptance(petition, staff, world.staff, accept=True, note="",
                            told_on=clock.today, told_how="phone")
    steps.answer(petition, staff, world.staff, text="已按规定答复")
    db_session.flush()
    notices = db_session.scalars(select(Notice).order_by(Notice.id)).all()
    assert [n.kind for n in notices] == ["petition_accepted", "petition_answered"]
    accepted, answered = notices
    assert accepted.recipient == petition.petitioner_phone
    assert accepted.township_id == world.a.id and accepted.person_id is None
    assert accepted.params == {"reference": petition.reference,
                               "due": f"{petition.answer_due_on.month}月"
                                      f"{petition.answer_due_on.day}日"}
    assert answered.params["reference"] == petition.reference
    assert world.a.name in answered.params["place"]
    assert "已按规定答复" not in str(answered.params)
