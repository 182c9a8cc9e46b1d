"""Transfers under PostgreSQL's row-level security, as the portal's ordinary role: the transfer
record shows to both townships and no other; the acceptance, in the receiving township's
request, hands over the rows the database hid from it until then."""
from __future__ import annotations

from sqlalchemy import select, text

from portal.cases.models import Case
from portal.certificates.models import Certificate
from portal.extensions import db
from portal.register.models import HolderEntry
from portal.rls import narrow_to_township
from portal.rosters.models import Person
from portal.transfers.models import Transfer
from portal.transfers.services import accept_transfer, request_transfer
from tests.test_rls import portal_role, postgresql  # noqa: F401 (fixtures)


def _seen(model, column, value) -> list[int]:
    return list(db.session.scalars(select(model.id).where(column == value)))


def test_the_transfer_table_is_forced_under_its_two_sided_policy(postgresql):  # noqa: F811
    row = postgresql.execute(text(
        "SELECT c.relrowsecurity, c.relforcerowsecurity, p.qual FROM pg_class c "
        "JOIN pg_policies p ON p.tablename = c.relname WHERE c.relname = 'transfers'")).one()
    assert row[0] and row[1] and "to_township_id" in row[2]


def test_acceptance_moves_the_rows_the_receiver_could_not_see(app, postgresql,  # noqa: F811
                                                              portal_role,  # noqa: F811
                                                              county):
    w = county
    pid = w.person.id
    postgresql.execute(text(f"SET ROLE {portal_role}"))
    with app.test_request_context("/"):
        narrow_to_township(db.session, w.a.id)
        transfer = request_transfer(db.session.get(Person, pid), w.a, w.staff_a,
                                    to_township=w.b)
        tid = transfer.id
    with app.test_request_context("/"):
        narrow_to_township(db.session, w.c.id)
        assert _seen(Transfer, Transfer.id, tid) == []
    with app.test_request_context("/"):
        narrow_to_township(db.session, w.b.id)
        assert _seen(Transfer, Transfer.id, tid) == [tid]
        assert _seen(Person, Person.id, pid) == []
        counts = accept_transfer(db.session.get(Transfer, tid), w.b, w.staff_b)
        assert counts["persons"] == 1 and counts["certificates"] == 1
        assert _seen(Person, Person.id, pid) == [pid]
        assert _seen(Case, Case.person_id, pid) == [w.history.case.id]
        assert _seen(Certificate, Certificate.person_id, pid) == [w.history.certificate.id]
        assert len(_seen(HolderEntry, HolderEntry.person_id, pid)) == 1
    with app.test_request_context("/"):
        narrow_to_township(db.session, w.a.id)
        assert _seen(Transfer, Transfer.id, tid) == [tid]
        for model, column in ((Person, Person.id), (Case, Case.person_id),
                              (Certificate, Certificate.person_id),
                              (HolderEntry, HolderEntry.person_id)):
            assert _seen(model, column, pid) == [], model.__name__
