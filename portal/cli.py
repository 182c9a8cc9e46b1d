"""Command-line entry points: `flask --app wsgi seed|user|roster ...`."""
import click
from flask import Flask
from flask.cli import AppGroup

from portal.extensions import db

seed_cli = AppGroup("seed", help="Load reference or demo data.")
user_cli = AppGroup("user", help="Manage user accounts.")
audit_cli = AppGroup("audit", help="Read the audit log.")


@seed_cli.command("reference")
def seed_reference():
    """Load the campaign, 13 townships, hospitals and concentrated days (idempotent)."""
    from portal.reference.seed import load_reference

    campaign = load_reference()
    db.session.commit()
    click.echo(f"reference data loaded: campaign={campaign.code}")


@seed_cli.command("demo")
@click.option("--persons", default=2000, show_default=True, type=click.IntRange(0, 1_000_000),
              help="how many synthetic persons to add")
@click.option("--seed", "seed", default=1, show_default=True, type=int,
              help="random seed: the same seed gives the same persons and ID numbers")
def seed_demo_command(persons, seed):
    """Add demo villages, synthetic persons on both rosters and one demo user per role."""
    import time

    from portal.reference.demo import seed_demo

    started = time.perf_counter()
    result = seed_demo(persons=persons, seed=seed)
    db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo(
        f"villages created: {result.villages_created}; persons created: "
        f"{result.persons_created}, already present: {result.persons_skipped}; "
        f"roster entries: {result.entries_created} ({elapsed:.1f} s)"
    )
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
    from portal.auth.services import AuthError, add_membership, create_user
    from portal.reference.models import Township

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
        user = create_user(username, password, display_name=display_name)
        add_membership(user, role, township)
    except AuthError as exc:
        db.session.rollback()
        raise click.ClickException(f"user not created: {exc.code}") from None
    db.session.commit()
    click.echo(f"created user {user.username} ({role.value})")


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


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(audit_cli)
    from portal.evidence.cli import evidence_cli

    app.cli.add_command(evidence_cli)
    try:
        from portal.imports.cli import roster_cli
    except ImportError:  # the roster commands arrive with the import work
        return
    app.cli.add_command(roster_cli)
