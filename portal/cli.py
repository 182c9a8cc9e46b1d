"""Command-line entry points: `flask --app wsgi seed|user|roster ...`."""
import click
from flask import Flask
from flask.cli import AppGroup

from portal.extensions import db
from portal.uow import unit_of_work

seed_cli = AppGroup("seed", help="Load reference or demo data.")
user_cli = AppGroup("user", help="Manage user accounts.")
audit_cli = AppGroup("audit", help="Read the audit log and check its hash chain.")


@seed_cli.command("reference")
def seed_reference():
    """Load the campaign (under the code CAMPAIGN_CODE), 13 townships, hospitals and
    concentrated days (idempotent); the campaign becomes the active one when none is."""
    from flask import current_app

    from portal.reference.seed import load_reference

    with unit_of_work():
        campaign = load_reference(current_app.config.get("CAMPAIGN_CODE"))
        code = campaign.code
    click.echo(f"reference data loaded: campaign={code}")


@seed_cli.command("demo")
@click.option("--persons", default=2000, show_default=True, type=click.IntRange(0, 1_000_000),
              help="how many synthetic persons to add")
@click.option("--seed", "seed", default=1, show_default=True, type=int,
              help="random seed: the same seed gives the same persons and ID numbers")
def seed_demo_command(persons, seed):
    """Add demo villages, synthetic persons on both rosters and one demo user per role."""
    import time

    from portal.demo.people import seed_demo

    started = time.perf_counter()
    with unit_of_work():
        result = seed_demo(persons=persons, seed=seed)
    elapsed = time.perf_counter() - started
    click.echo(
        f"villages created: {result.villages_created}; persons created: "
        f"{result.persons_created}, already present: {result.persons_skipped}; "
        f"roster entries: {result.entries_created}; certificate holders in the register: "
        f"{result.holders_created} ({elapsed:.1f} s)"
    )
    living = result.living
    if living is not None and living.cases:
        stories = ", ".join(f"{path}: {n}" for path, n in sorted(living.cases.items()))
        click.echo(f"demonstration campaign {living.campaign_code}: cases by path ({stories}); "
                   f"certificates: {living.certificates}; video sessions: "
                   f"{living.video_sessions}")
    width = max(len(name) for name, _role, _pw in result.users)
    click.echo("")
    click.echo(f"{'username':<{width}}  {'role':<18}  password")
    for username, role, password in result.users:
        shown = password or "(exists; password unchanged)"
        click.echo(f"{username:<{width}}  {role:<18}  {shown}")
    if any(password for _u, _r, password in result.users):
        click.echo("\nThe passwords are shown only this once.")


@user_cli.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True)
@click.option("--township", "township_code", default=None, help="township code for local roles")
@click.option("--display-name", default="")
def user_create(username, password, role, township_code, display_name):
    """Create a user with one role."""
    from sqlalchemy import select

    from portal.auth.roles import Role
    from portal.auth.services import add_membership, create_user
    from portal.reference.models import Township
    from portal.refusals import Refused

    try:
        role = Role(role)
    except ValueError:
        raise click.BadParameter(
            f"unknown role {role!r}; one of: {', '.join(r.value for r in Role)}", param_hint="--role"
        ) from None
    township = None
    if township_code:
        township = db.session.execute(
            select(Township).where(Township.code == township_code)
        ).scalar_one_or_none()
        if township is None:
            raise click.BadParameter(f"no township {township_code!r}", param_hint="--township")
    try:
        with unit_of_work():
            user = create_user(username, password, display_name=display_name)
            add_membership(user, role, township)
            name = user.username
    except Refused as refusal:
        raise click.ClickException(f"user not created: {refusal.code}") from None
    click.echo(f"created user {name} ({role.value})")


@audit_cli.command("tail")
@click.option("-n", "count", default=20, show_default=True, type=click.IntRange(1, 10_000))
def audit_tail(count):
    """Print the latest audit events, oldest of them first."""
    from sqlalchemy import select

    from portal.audit.models import AuditEvent
    from portal.auth.models import User

    rows = db.session.execute(
        select(AuditEvent, User.username)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.id.desc()).limit(count)
    ).all()
    for event, username in reversed(rows):
        obj = event.object_type or "-"
        if event.object_id is not None:
            obj += f":{event.object_id}"
        click.echo(f"{event.occurred_at:%Y-%m-%d %H:%M:%S} {username or '-'} "
                   f"t={event.township_id or '-'} {event.action} {obj} "
                   f"{event.details or ''} {event.ip}".rstrip())


@audit_cli.command("verify")
@click.option("--heads", "heads_file", type=click.File("r", encoding="utf-8"), default=None,
              help="a file written by `flask audit heads`: its day heads must still match")
def audit_verify(heads_file):
    """Walk the hash chain and name the first broken row; exit status 1 if any."""
    import json

    from portal.audit.chain import check_heads, verify_chain

    heads = []
    if heads_file is not None:
        try:
            data = json.load(heads_file)
            heads = data["heads"] if isinstance(data, dict) else data
            heads = [{"date": str(h["date"]), "seq": int(h["seq"]), "hash": str(h["hash"])}
                     for h in heads]
        except (ValueError, KeyError, TypeError) as exc:
            raise click.BadParameter(f"not a heads file ({exc.__class__.__name__})",
                                     param_hint="--heads") from None
    walk = verify_chain(db.session)
    if walk.broken:
        raise click.ClickException(
            f"audit chain broken after {walk.rows} intact rows: {walk.broken.message}")
    problems = check_heads(db.session, heads)
    if problems:
        raise click.ClickException("kept heads do not match: " + "; ".join(problems))
    click.echo(f"audit chain intact: {walk.rows} rows, last seq {walk.last_seq}, "
               f"head {walk.head}" + (f"; {len(heads)} kept heads match" if heads else ""))


@audit_cli.command("heads")
@click.option("--date", "days", type=click.DateTime(["%Y-%m-%d"]), multiple=True,
              help="day (portal time zone), repeatable; default yesterday")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default=None,
              help="write the JSON to this file instead of printing it")
def audit_heads(days, output):
    """Print the chain's head at the end of each day as JSON, to be kept elsewhere."""
    import json
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from flask import current_app

    from portal.audit.chain import day_head
    from portal.clock import local_today

    today = local_today()
    wanted = sorted({d.date() for d in days}) or [today - timedelta(days=1)]
    if wanted[-1] > today:
        raise click.BadParameter(f"{wanted[-1]} has not begun yet", param_hint="--date")
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    heads = [day_head(db.session, day, zone) | {"complete": day < today} for day in wanted]
    text = json.dumps({"heads": heads}, indent=2, ensure_ascii=False)
    click.echo(text, file=output)


workflow_cli = AppGroup("workflow", help="The case workflow's documentation.")


@workflow_cli.command("doc")
def workflow_doc_command():
    """Write docs/workflow.md from the transition table."""
    from portal.cases.workflow_doc import write

    click.echo(f"written: {write()}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_cli)
    app.cli.add_command(workflow_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(audit_cli)
    from portal.evidence.cli import evidence_cli
    from portal.media_nodes.cli import media_cli

    app.cli.add_command(media_cli)

    app.cli.add_command(evidence_cli)
    from portal.backup.cli import backup_command, restore_command
    from portal.notices.cli import notices_cli

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from portal.register.cli import holders_cli

    app.cli.add_command(notices_cli)
    from portal.supervision.cli import supervision_cli

    app.cli.add_command(supervision_cli)

    app.cli.add_command(holders_cli)
    from portal.jobs.cli import jobs_cli

    app.cli.add_command(jobs_cli)
    try:
        from portal.imports.cli import roster_cli
    except ImportError:  # the roster commands arrive with the import work
        return
    app.cli.add_command(roster_cli)
