"""`flask seed demo` loads a register in the plan's proportion, valid today, so the rate starts
near the plan's 40 % and the demo's handovers lift it towards the first target."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.campaigns.services import active_campaign
from portal.certificates.models import Handover
from portal.clock import local_today
from portal.dashboards.services import city_dashboard
from portal.tenancy import Access


def test_demo_register_starts_at_the_plans_rate(runner, db_session, client, login_as,
                                                make_user):
    result = runner.invoke(args=["seed", "demo", "--persons", "400", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "certificate holders in the register: 272" in result.output  # 400 × 9675 / 14225
    today = local_today()
    campaign = active_campaign()
    assert campaign.code == f"demo-{today.year}"
    access = Access(user_id=None, township=None, roles={Role.SUPERVISOR})
    dash = city_dashboard(access, campaign, today, max_age_seconds=0)
    handed_over = db_session.scalar(select(func.count()).select_from(Handover))
    assert dash.total.get("certified") == 272 + handed_over and dash.demo_sample
    first_target = float(min(campaign.targets, key=lambda t: t.deadline).holding_rate)
    assert 9675 / 23900 - 0.01 < dash.total.rate < first_target
    login_as(make_user("supervisor"))
    assert 'id="demo-sample"' in client.get("/city/dashboard/").get_data(as_text=True)
