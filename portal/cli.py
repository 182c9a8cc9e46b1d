"""Command-line entry points: `flask --app wsgi seed|user|roster ...`."""
import click
from flask import Flask
from flask.cli import AppGroup

from portal.extensions import db

seed_cli = AppGroup("seed", help="Load reference or demo data.")
user_cli = AppGroup("user", help="Manage user accounts.")


@seed_cli.command("reference")
def seed_reference():
    """Load the campaign, 13 townships, hospitals and concentrated days (idempotent)."""
    from portal.reference.seed import load_reference

    campaign = load_reference()
    db.session.commit()
    click.echo(f"reference data loaded: campaign={campaign.code}")


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


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_cli)
    app.cli.add_command(user_cli)
    try:
        from portal.imports.cli import roster_cli
    except ImportError:  # the roster commands arrive with the import work
        return
    app.cli.add_command(roster_cli)
