"""`flask --app wsgi roster import|export`: the same services as the web pages."""
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.imports import bulk, columns, exports, messages
from portal.imports.reader import WorkbookError
from portal.reference.models import Township
from portal.uow import unit_of_work

roster_cli = AppGroup("roster", help="Import and export the township rosters (Excel).")
LIST_CHOICE = click.Choice(columns.LIST_KINDS)


def _township(code: str) -> Township:
    township = db.session.execute(
        select(Township).where(Township.code == code)
    ).scalar_one_or_none()
    if township is None:
        raise click.BadParameter(f"no township {code!r}", param_hint="--township")
    return township


@contextmanager
def file_errors_exit():
    """A file that cannot be read or a database failure: roll back, exit 1 with the reason."""
    try:
        yield
    except WorkbookError as exc:
        db.session.rollback()
        click.echo(messages.file_error_text(exc.code, exc.params), err=True)
        raise SystemExit(1) from None
    except SQLAlchemyError:
        db.session.rollback()
        click.echo(messages.file_error_text("failed"), err=True)
        raise SystemExit(1) from None


@contextmanager
def file_import_or_exit():
    """The import's unit of work for a command: committed at the end of the block; a file
    that cannot be read or a database failure rolls everything back and exits 1."""
    with file_errors_exit(), unit_of_work():
        yield


def rejects_path(path: Path) -> Path:
    """Where the rejected rows of `path` are written: next to it."""
    return path.with_name(f"{path.stem}.rejected.xlsx")


@roster_cli.command("import")
@click.option("--township", "township_code", required=True, help="township code")
@click.option("--list", "list_kind", required=True, type=LIST_CHOICE)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_command(township_code, list_kind, file):
    """Import the valid rows of FILE; rejected rows go to FILE.rejected.xlsx beside it."""
    township = _township(township_code)
    with file_import_or_exit():
        result = bulk.import_file(township, None, file, list_kind,
                                  max_rows=current_app.config["ROSTER_MAX_ROWS"])
    for row, code in result.notes:
        click.echo(messages.note_text(row, code))
    target = rejects_path(file)
    if result.rejects:
        exports.write_rejects_file(target, result.rejects, result.headers)
        click.echo(f"rejected rows written to {target}")
    elif target.exists():
        target.unlink()  # a list from an earlier run would no longer be true
    click.echo(f"imported={result.imported} updated={result.updated} "
               f"rejected={result.rejected}")


@roster_cli.command("export")
@click.option("--township", "township_code", required=True, help="township code")
@click.option("--list", "list_kind", required=True, type=LIST_CHOICE)
@click.option("--masked", is_flag=True,
              help="mask ID numbers and phones as the lists show them")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def export_command(township_code, list_kind, masked, out):
    """Write the township's list to OUT in its attachment format.

    The server's console already holds the database, so the numbers are in clear unless
    --masked; either way the export is an audit event naming the rows revealed.
    """
    with unit_of_work():
        township = _township(township_code)
        count = exports.export_township(township, None, list_kind, out, reveal=not masked)
    click.echo(f"exported={count} file={out}")
