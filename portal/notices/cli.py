"""`flask --app wsgi notices send`: the outbox worker (once, or in a loop)."""
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
