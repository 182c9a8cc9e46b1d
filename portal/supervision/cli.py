"""`flask --app wsgi supervision escalate`: escalate the notices not answered in time (daily)."""
import click
from flask.cli import AppGroup

supervision_cli = AppGroup("supervision", help="Supervision notices (督办).")


@supervision_cli.command("escalate")
def escalate_command():
    """Escalate every open notice past its due date; it stays red on the board."""
    from portal.clock import local_today
    from portal.supervision.services import escalate_overdue
    from portal.uow import unit_of_work

    with unit_of_work():
        escalated = escalate_overdue(local_today())
    click.echo(f"escalated={len(escalated)}")
