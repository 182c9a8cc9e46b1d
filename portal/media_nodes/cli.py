"""`flask --app wsgi media list|drain|undrain|check|forget`: the pool of media nodes."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from portal.uow import unit_of_work

media_cli = AppGroup("media", help="The pool of media nodes (video sessions).")


def _refused(refusal) -> click.ClickException:
    from flask_babel import force_locale

    with force_locale("en"):
        return click.ClickException(f"{refusal.code}: {refusal.message}")


@media_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per node")
def list_nodes(as_json: bool):
    """Every known node: status (up, drained, down, unconfigured), live sessions, last seen."""
    from portal.media_nodes.services import node_rows, sync_configured

    with unit_of_work():
        sync_configured(current_app.config)
        rows = node_rows(current_app.config)
    for row in rows:
        seen = row["last_seen_at"].isoformat(timespec="seconds") if row["last_seen_at"] else "-"
        if as_json:
            click.echo(json.dumps({**row, "last_seen_at": seen}))
            continue
        click.echo(f"{row['name']}\t{row['url']}\t{row['status']}\tsessions={row['sessions']}"
                   f"\trooms={row['rooms']}\t{row['source']}\tseen={seen}"
                   + (f"\t{row['last_error']}" if row["last_error"] else ""))
    if not rows:
        click.echo("no media node is configured or registered")


def _set_drained(name: str, drained: bool) -> None:
    from portal.media_nodes.services import find_node, set_drained, sync_configured
    from portal.refusals import Refused

    try:
        with unit_of_work():
            sync_configured(current_app.config)
            node = find_node(name)
            set_drained(node, drained)
            label = node.name
    except Refused as refusal:
        raise _refused(refusal) from None
    click.echo(f"{label}: {'drained (no new sessions)' if drained else 'takes new sessions'}")


@media_cli.command("drain")
@click.argument("name")
def drain(name: str):
    """No new session on NAME (name or address); the sessions running there finish."""
    _set_drained(name, True)


@media_cli.command("undrain")
@click.argument("name")
def undrain(name: str):
    """NAME takes new sessions again."""
    _set_drained(name, False)


@media_cli.command("check")
def check():
    """Poll the configured nodes and judge the registered ones by their heartbeats: a dead
    node's live sessions are interrupted, a node back gives back what it recorded. Run it
    every minute (a timer), like the other upkeep commands."""
    from portal.media_nodes.services import check_nodes

    with unit_of_work():
        results = check_nodes(current_app.config)
    for result in results:
        click.echo(f"{result.node}\t{'up' if result.healthy else 'down'}"
                   f"\tinterrupted={result.interrupted}\trecovered={result.recovered}")


@media_cli.command("forget")
@click.argument("name")
def forget(name: str):
    """Remove NAME from the pool (refused while sessions run on it). A node still named in
    the configuration or still sending heartbeats comes back."""
    from portal.media_nodes.services import find_node, forget_node
    from portal.refusals import Refused

    try:
        with unit_of_work():
            node = find_node(name)
            label = node.name
            forget_node(node)
    except Refused as refusal:
        raise _refused(refusal) from None
    click.echo(f"{label}: forgotten")
