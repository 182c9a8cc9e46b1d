"""Notices that reach people: an outbox written with the change it announces, sent by jobs
(`notices.send`, tasks.py) through SMS (Alibaba Cloud), email or the log, with retries, rate
limits, opt-out and a list of people to call instead."""
from portal.tenancy import tenant_blueprint

bp = tenant_blueprint("notices", __name__, "/notices")

from portal.notices import tasks, views  # noqa: F401
