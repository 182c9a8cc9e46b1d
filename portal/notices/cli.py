"""`flask --app wsgi notices send|schedule|expiring`: the outbox by hand (once, or in a loop,
without job workers), the periodic round queued as a job, the daily expiry notices."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

notices_cli = AppGroup("notices", help="Messages to applicants and guardians (the outbox).")


@notices_cli.command("send")
@click.option("--loop", is_flag=True, help="keep sending; wait between rounds")
@click.option("--interval", default=5.0, show_default=True, help="seconds between rounds")
@click.option("--limit", default=100, show_default=True, help="messages per round")
def send_command(loop: bool, interval: float, limit: int):
    """Send the messages that are due, with retries; recover what a dead worker left."""
    from portal.notices.services import backlog, send_due

    while True:
        counts = send_due(limit=limit)
        current_app.logger.info("notices: %s, backlog %s", counts, backlog())
        click.echo(" ".join(f"{name}={value}" for name, value in counts.items()))
        if not loop:
            return
        time.sleep(interval)


@notices_cli.command("schedule")
def schedule_command():
    """Every minute (a timer): queue a round of the outbox as a job when messages are due."""
    from portal.notices.services import next_due
    from portal.notices.tasks import schedule
    from portal.uow import unit_of_work

    with unit_of_work():
        due = next_due()
        job = schedule()
        job_id = job.id if job is not None else None
    if job_id is not None:
        click.echo(f"round queued: job {job_id}")
    elif due is None:
        click.echo("nothing waiting")
    else:
        click.echo(f"no round queued: next due {due.isoformat(timespec='seconds')} "
                   "or a round is waiting")


@notices_cli.command("expiring")
def expiring_command():
    """Daily: a notice to each holder whose certificate expires in 90 days (told once)."""
    from portal.clock import local_today
    from portal.notices.events import expiring_notices
    from portal.uow import unit_of_work

    with unit_of_work():
        count = expiring_notices(local_today())
    click.echo(f"holders told: {count}")
