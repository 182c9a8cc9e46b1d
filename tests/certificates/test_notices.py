"""The township's receipt of a parcel tells each holder where to collect the card, through the
outbox, in the receipt's own unit of work; a refused receipt tells nobody."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.certificates.services import acknowledge_receipt, create_dispatch_batch
from portal.notices.models import Notice
from portal.refusals import Refused
from tests.cases.helpers import access
from tests.certificates.test_certificates import (
    PRINTED_ON,
    RECEIVED_ON,
    SENT_ON,
    _printed,
)


def test_certificate_ready_reaches_each_holder_once(world, approved, db_session):
    cases = [approved(), approved()]
    _printed(world, cases, today=PRINTED_ON)
    dispatch = create_dispatch_batch(world.city, access(world.city), world.township,
                                     today=SENT_ON)
    with pytest.raises(Refused):  # a count that differs needs its explanation
        acknowledge_receipt(dispatch, world.staff, counted=1, today=RECEIVED_ON)
    assert db_session.scalars(select(Notice)).all() == []
    acknowledge_receipt(dispatch, world.staff, counted=2, today=RECEIVED_ON)
    notices = db_session.scalars(select(Notice).order_by(Notice.id)).all()
    assert [(n.kind, n.case_id) for n in notices] == [
        ("certificate_ready", case.id) for case in cases]
    assert notices[0].params == {"place": f"{world.township.name}残联"}
    for notice, case in zip(notices, cases, strict=True):
        assert case.person.id_number not in json.dumps(notice.params, ensure_ascii=False)
