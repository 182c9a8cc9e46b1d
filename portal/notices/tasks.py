"""The outbox sent by jobs: the kind `notices.send` runs one round of `send_due`.

- **After a change.** A unit of work that wrote a message asks, once it has committed, for one
  round (`round_after_commit`, registered by `notify()`). It is debounced: a round that is
  queued and not yet started (due by now) takes the new messages too, so none is added. The
  check runs after the commit, so a round already taken by a worker cannot miss the message:
  it either started after the commit (and sees it) or is running (and another is queued).
- **Later.** A round ends by asking for the next one when messages wait: more than a round's
  worth (at once), or messages waiting for their time (a retry's backoff, the daily limit) or
  a claim that would turn stale: with RQ a job queued to run then (`delay_seconds`). The
  inline runner cannot wait (it runs a job as soon as it is queued): there a round goes on
  while messages are due, and the periodic round takes those due later.
- **Periodic.** `flask notices schedule` (a systemd timer, every minute) and each RQ worker's
  upkeep (every JOBS_MAINTENANCE_SECONDS) queue a round when something is due.

The round's own claims stay as they are (portal/notices/services.py): each message is claimed
once in its own transaction, so a round delivered twice, two rounds at once, or a round whose
worker was killed never send a message twice (a dead round's claims are recovered by asking the
provider). Unlike other kinds, a round's work is not all or nothing: each message is committed
as it is sent, and the job's row records the counts.

NOTICE_SEND_IN_JOBS: unset, rounds follow changes with RQ workers (JOBS_BACKEND=rq) and in
development; a production without job workers keeps `flask notices send --loop`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import or_, select

from portal.extensions import db
from portal.jobs.models import QUEUED, Job
from portal.jobs.registry import job_kind
from portal.jobs.worker import SCHEDULED
from portal.models_base import utcnow
from portal.notices.services import _aware, next_due, send_due
from portal.uow import unit_of_work

KIND, KEY = "notices.send", "notices:outbox"
ROUND_LIMIT = 100  # messages per round; a round that leaves more due asks for the next at once
SLACK = timedelta(seconds=5)  # a queued round due this much later still takes a message


def in_jobs() -> bool:
    """Whether a change's messages are sent by a job queued after its commit."""
    config = current_app.config
    setting = config.get("NOTICE_SEND_IN_JOBS")
    if setting is None:
        return config.get("JOBS_BACKEND") == "rq" or config.get("ENV_NAME") == "development"
    return str(setting).lower() in ("1", "true", "yes", "on")


@job_kind(KIND)
def send_round(job, progress) -> dict:
    """One round of the outbox (at most ROUND_LIMIT messages), reporting the messages dealt
    with of those due; then the next round is asked for when messages wait (now: more than a
    round's worth; later: a retry, the daily limit). The inline runner cannot queue a round
    without running it inside this one, so there the round goes on until nothing is due now."""
    inline = current_app.config.get("JOBS_BACKEND") == "inline"
    limit = int(job.args.get("limit") or ROUND_LIMIT)
    totals = dict.fromkeys(("recovered", "sent", "retry", "failed"), 0)
    before = {"done": 0, "total": 0}
    seen = {"due": 0}

    def report(done: int, total: int) -> None:
        seen["due"] = total
        progress("sending", before["done"] + done, before["total"] + total)

    while True:
        counts = send_due(limit=limit, progress=report)
        for name in totals:
            totals[name] += counts[name]
        before["done"] += seen["due"]
        before["total"] += seen["due"]
        following = next_due()
        if not inline or following is None or following > utcnow():
            break
        if not (seen["due"] or counts["recovered"]):
            break  # nothing moved: the periodic round will look again
    if following is not None and not inline:
        request_round(following)
    return totals


def request_round(at: datetime | None = None) -> Job | None:
    """Queue a round for `at` (now when None) unless a queued round will run by then."""
    now = utcnow()
    at = max(_aware(at), now) if at is not None else now
    delay = (at - now).total_seconds()
    if delay > 0 and current_app.config.get("JOBS_BACKEND") == "inline":
        return None  # the inline runner runs every job at once: the periodic round comes
    waiting = db.session.scalar(select(Job.id).where(
        Job.kind == KIND, Job.key == KEY, Job.state == QUEUED,
        or_(Job.run_after.is_(None), Job.run_after <= at + SLACK)).limit(1))
    if waiting is not None:
        return None
    from portal.jobs.services import enqueue

    return enqueue(KIND, {}, key=KEY, delay_seconds=delay)


def round_after_commit() -> None:
    """After a unit of work that wrote messages: a round, in a unit of work of its own."""
    before, g.writes_first = g.get("writes_first"), True  # SQLite: reads, then writes
    try:
        with unit_of_work():
            request_round()
    finally:
        g.writes_first = before


def schedule() -> Job | None:
    """Queue a round when messages are due now or a claim is stale (periodic)."""
    due = next_due()
    if due is None or due > utcnow():
        return None
    return request_round()


def _upkeep() -> None:
    """Each RQ worker's upkeep (portal/jobs/worker.py)."""
    if in_jobs():
        schedule()


SCHEDULED.append(_upkeep)
