"""The holder import under PostgreSQL's row-level security, as the portal's ordinary role."""
from __future__ import annotations

from sqlalchemy import select, text

from portal.extensions import db
from portal.register.importer import import_holders
from portal.register.models import HolderEntry
from portal.rls import narrow_to_township
from tests.register.conftest import holders_file, idn, row
from tests.test_rls import portal_role, postgresql  # noqa: F401 (fixtures)


def test_a_township_import_writes_and_sees_only_its_own_rows(app, postgresql,  # noqa: F811
                                                             portal_role,  # noqa: F811
                                                             make_township, make_user,
                                                             make_person, tmp_path):
    a, b = make_township(), make_township()
    staff = make_user("township_staff", a)
    other = make_person(b, list_kind="suspected", id_number=idn(401))
    postgresql.add(HolderEntry(township_id=b.id, person_id=other.id,
                               certificate_number=idn(401) + "42", category="physical",
                               grade=2, expires_on=row(1, idn(401))[8], source="manual"))
    postgresql.flush()
    path = holders_file(tmp_path / "rls.xlsx", [row(1, idn(403)), row(2, idn(401))])
    postgresql.execute(text(f"SET ROLE {portal_role}"))
    with app.test_request_context("/"):
        narrow_to_township(db.session, a.id)
        plan, counts = import_holders(path, a, staff)
        # The person of b is found across townships (and refused), never read into a's page.
        assert [r.code for r in plan.rejects] == ["elsewhere"] and counts["new"] == 1
        assert set(db.session.scalars(select(HolderEntry.township_id))) == {a.id}
