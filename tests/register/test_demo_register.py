"""`flask seed demo` loads a register in the plan's proportion, so the rate starts near 40 %."""
from __future__ import annotations

from datetime import date

from portal.auth.roles import Role
from portal.dashboards.services import city_dashboard
from portal.rosters.services import find_campaign
from portal.tenancy import Access


def test_demo_register_starts_at_the_plans_rate(runner, db_session, client, login_as,
                                                make_user):
    result = runner.invoke(args=["seed", "demo", "--persons", "400", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "certificate holders in the register: 272" in result.output  # 400 × 9675 / 14225
    campaign = find_campaign("mangshi-2020")
    access = Access(user_id=None, township=None, roles={Role.SUPERVISOR})
    dash = city_dashboard(access, campaign, date(2020, 4, 1), max_age_seconds=0)
    assert abs(dash.total.rate - 9675 / 23900) < 0.01
    assert dash.total.get("certified") == 272 and dash.demo_sample
    login_as(make_user("supervisor"))
    assert 'id="demo-sample"' in client.get("/city/dashboard/").get_data(as_text=True)
