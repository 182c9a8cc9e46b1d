"""The holding rate counts the register; the plan's must-complete poverty-renewal figure."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.clock import local_today
from portal.dashboards.services import city_dashboard
from portal.domain.idcard import mask
from portal.register.models import HolderEntry
from portal.register.services import Holding, record_holding
from portal.tenancy import access_for
from tests.cases.helpers import world  # noqa: F401 (a fixture)
from tests.certificates.conftest import approved  # noqa: F401 (a fixture)
from tests.jobs.helpers import exported
from tests.register.conftest import idn


@pytest.fixture
def campaign(app, db_session):
    from portal.reference.models import Campaign, CampaignPhase, CampaignTarget

    today = local_today()
    row = Campaign(code=app.config["CAMPAIGN_CODE"], name="测试活动", estimated_disabled=10,
                   status="active",
                   certified_at_start=9_000)
    row.phases = [
        CampaignPhase(code="survey", name="摸底", position=0, starts_on=date(2020, 4, 1),
                      ends_on=date(2020, 4, 15)),
        CampaignPhase(code="concentrated", name="集中办证", position=1,
                      starts_on=date(2020, 5, 7), ends_on=date(2020, 5, 25)),
    ]
    row.targets = [CampaignTarget(holding_rate=Decimal("0.5"), deadline=date(2020, 12, 31)),
                   CampaignTarget(kind="poverty_renewal", holding_rate=Decimal(1),
                                  deadline=today + timedelta(days=10))]
    db_session.add(row)
    db_session.flush()
    return row


def _hold(db_session, person, expires_on, source="national_db"):
    record_holding(person, Holding(person.id_number + "42", "physical", 2, None, expires_on),
                   source, None)
    db_session.flush()


def _dash(campaign, user):
    return city_dashboard(access_for(user, None), campaign, local_today(), max_age_seconds=0)


def test_holding_rate_counts_valid_register_entries_only(campaign, db_session, make_township,
                                                         make_user, make_person):
    township = make_township()
    admin = make_user("city_admin")
    today = local_today()
    valid = make_person(township, list_kind=None, id_number=idn(201))
    expired = make_person(township, list_kind=None, id_number=idn(203))
    dead = make_person(township, list_kind=None, id_number=idn(205), deceased=True)
    make_person(township, list_kind="expired", id_number=idn(207),
                certificate_expires_on=today + timedelta(days=90))  # not in the register
    _hold(db_session, valid, today + timedelta(days=1))
    _hold(db_session, expired, today)  # expires today: no longer valid
    _hold(db_session, dead, today + timedelta(days=400))
    line = next(line for line in _dash(campaign, admin).lines if line.key == township.id)
    assert line.get("certified") == 1
    # The campaign's seeded number is never the numerator.
    assert _dash(campaign, admin).total.get("certified") == 1


def test_a_handover_joins_the_register(world, approved, db_session):  # noqa: F811
    from portal.certificates.models import Certificate
    from portal.certificates.services import record_handover
    from tests.cases.helpers import access
    from tests.certificates.test_certificates import D, _received

    case = approved(kind="renewal", list_kind="expired",
                    certificate_expires_on=date(2019, 1, 1))
    _received(world, [case])
    certificate = db_session.scalars(select(Certificate).where(
        Certificate.case_id == case.id)).one()
    record_handover(certificate, world.staff, access(world.staff, world.township),
                    receiver_name="王五", relation="self",
                    id_last_digits=case.person.id_number[-4:], handed_on=D("2020-09-13"),
                    today=D("2020-09-13"))
    entry = db_session.execute(select(HolderEntry)).scalar_one()
    assert (entry.person_id, entry.source, entry.certificate_id) == (
        case.person_id, "handover", certificate.id)
    assert entry.certificate_number == certificate.number
    assert entry.expires_on == certificate.expires_on
    assert entry.replaced_expires_on == date(2019, 1, 1)


@pytest.fixture
def renewal_world(campaign, db_session, make_township, make_user, make_person):
    """Township A: three poverty-registered holders of expired certificates (one renewed by a
    later register entry), one not poverty-registered, one poverty holder still valid."""
    a, b = make_township(), make_township()
    today = local_today()
    p = {
        "listed": make_person(a, name="甲一", list_kind="expired", poverty_registered=True,
                              id_number=idn(301), phone="13800001234"),
        "renewed": make_person(a, name="甲二", list_kind=None, poverty_registered=True,
                               id_number=idn(303)),
        "in_register": make_person(a, name="甲三", list_kind=None, poverty_registered=True,
                                   id_number=idn(305)),
        "not_poor": make_person(a, name="甲四", list_kind="expired", id_number=idn(307)),
        "valid": make_person(a, name="甲五", list_kind=None, poverty_registered=True,
                             id_number=idn(309)),
        "b_done": make_person(b, name="乙一", list_kind="expired", poverty_registered=True,
                              id_number=idn(311)),
    }
    _hold(db_session, p["renewed"], date(2019, 5, 1))
    _hold(db_session, p["renewed"], today + timedelta(days=3650))  # a later certificate
    _hold(db_session, p["in_register"], date(2020, 1, 31))
    _hold(db_session, p["valid"], today + timedelta(days=30))
    _hold(db_session, p["b_done"], today + timedelta(days=30))
    return a, b, p


def test_poverty_renewal_figure_per_township(renewal_world, campaign, make_user):
    a, b, _p = renewal_world
    dash = _dash(campaign, make_user("city_admin"))
    lines = {line.key: line for line in dash.lines}
    assert (lines[a.id].get("poverty_renewal"), lines[a.id].get("poverty_renewed"),
            lines[a.id].poverty_renewal_left) == (3, 1, 2)
    assert (lines[b.id].get("poverty_renewal"), lines[b.id].poverty_renewal_left) == (1, 0)
    target = dash.renewal_targets[0]
    assert target.deadline == local_today() + timedelta(days=10)
    assert not target.late(lines[a.id])  # the deadline is still ahead


def _row(table: str, code: str) -> str:
    """The table row of a township, from its opening tag."""
    at = table.index(f'data-unit="{code}"')
    start = table.rindex("<tr", 0, at)
    return table[start:table.index("</tr>", at)]


def test_late_townships_are_red_with_words(renewal_world, campaign, db_session, client,
                                           login_as, make_user, english):
    a, b, _p = renewal_world
    login_as(make_user("city_admin"))
    page = client.get("/city/dashboard/").get_data(as_text=True)
    assert 'id="poverty-renewal-late"' not in page  # the deadline is ahead
    campaign.targets[-1].deadline = local_today() - timedelta(days=1)
    db_session.flush()
    page = client.get("/city/dashboard/").get_data(as_text=True)
    table = page[page.index('id="poverty-renewal-table"'):]
    table = table[:table.index("</table>")]
    row_a, row_b = _row(table, a.code), _row(table, b.code)
    # Colour and words: red row, "Deadline missed", the number left linking to the list.
    assert 'class="table-danger"' in row_a and "Deadline missed" in row_a
    assert f"kind=poverty_renewal_pending&amp;township={a.id}\">2<" in row_a
    assert "table-danger" not in row_b and "Done" in row_b
    assert 'id="poverty-renewal-late"' in page
    targets = page[page.index('id="targets-table"'):]
    assert "deadline missed" in targets[:targets.index("</table>")]


def test_drill_down_and_export_mask_unless_revealed(renewal_world, campaign, db_session,
                                                    client, post, login_as, make_user):
    a, _b, _p = renewal_world
    login_as(make_user("supervisor"))
    page = client.get("/city/dashboard/list?kind=poverty_renewal_pending").get_data(
        as_text=True)
    assert "甲一" in page and "甲三" in page and "甲二" not in page and "甲四" not in page
    assert idn(301) not in page and mask(idn(301)) in page
    assert "list.xlsx" in page and 'method="post"' in page
    response = exported(client, post, f"/city/dashboard/list.xlsx?kind=poverty_renewal_pending"
                                      f"&township={a.id}")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.data)).active
    cells = [c for r in sheet.iter_rows(values_only=True) for c in r if c]
    assert "甲一" in cells and mask(idn(301)) in cells and idn(301) not in cells
    assert "13800001234" not in cells
    client.post("/auth/logout")
    login_as(make_user("township_staff", a))  # may reveal personal data
    response = exported(client, post, f"/t/{a.code}/dashboard/list.xlsx"
                                      "?kind=poverty_renewal_pending")
    cells = [c for r in load_workbook(BytesIO(response.data)).active.iter_rows(
        values_only=True) for c in r if c]
    assert idn(301) in cells and "13800001234" in cells
    events = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "dashboard.list_exported").order_by(AuditEvent.id)).all()
    assert [e.details["masked"] for e in events] == [True, False]
    assert events[1].details["revealed"] == 2


def test_reference_campaign_has_the_poverty_renewal_target(app, db_session):
    from portal.reference.seed import load_reference

    campaign = load_reference()
    load_reference()  # idempotent
    kinds = [(t.kind, t.deadline) for t in campaign.targets]
    assert kinds.count(("poverty_renewal", date(2020, 5, 25))) == 1
    assert sum(1 for kind, _ in kinds if kind == "holding_rate") == 2
