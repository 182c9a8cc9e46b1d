"""Ninety days before a certificate expires its holder is told, once per expiry date."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.notices.models import Notice
from portal.register.models import HolderEntry

TODAY = date(2026, 12, 4)


def test_holders_are_told_ninety_days_ahead_once(app, db_session, runner, make_township,
                                                make_person):
    app.config["CLOCK_FIXED_TODAY"] = TODAY
    try:
        township = make_township()
        soon = make_person(township, phone="13800000011", list_kind=None)
        later = make_person(township, phone="13800000012", list_kind=None)
        for person, days in ((soon, 90), (later, 200)):
            db_session.add(HolderEntry(
                township_id=township.id, person_id=person.id,
                certificate_number=person.id_number + "11", category="physical", grade=2,
                expires_on=TODAY + timedelta(days=days), source="manual"))
        db_session.flush()
        first = runner.invoke(args=["notices", "expiring"])
        assert first.exit_code == 0, first.output
        again = runner.invoke(args=["notices", "expiring"])
        assert again.exit_code == 0
        notices = db_session.scalars(select(Notice)).all()
        assert [(n.person_id, n.kind) for n in notices] == [(soon.id, "certificate_expiring")]
        expires = TODAY + timedelta(days=90)
        assert notices[0].params == {"date": f"{expires.month}月{expires.day}日"}
    finally:
        app.config.pop("CLOCK_FIXED_TODAY", None)
