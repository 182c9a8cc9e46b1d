"""`flask --app wsgi backup DIR` and `flask --app wsgi restore DIR` (docs/backup.md)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import click
from flask.cli import with_appcontext


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.command("backup")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path):
    """Back up the database and every evidence object into the new folder TARGET."""
    from portal.backup.services import BackupError, make_backup, remove_partial

    existed = target.exists() and any(target.iterdir())
    try:
        report = make_backup(target)
    except BackupError as error:
        _fail(str(error))
    except (OSError, subprocess.SubprocessError) as error:
        if not existed:
            remove_partial(target)
        _fail(f"the backup failed and was removed: {type(error).__name__}: {error}")
    click.echo(f"backup in {target}: {report.objects} objects, {report.bytes} bytes, "
               f"{report.seconds:.1f} s; counts {report.counts}")
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)


@click.command("restore")
@click.argument("source", type=click.Path(file_okay=False, exists=True, path_type=Path))
@with_appcontext
def restore_command(source: Path):
    """Restore the backup in SOURCE into this portal's empty database and evidence store."""
    from portal.backup.services import BackupError, restore

    try:
        report = restore(source)
    except BackupError as error:
        _fail(str(error))
    click.echo(f"restored {report.objects} objects, {report.bytes} bytes in "
               f"{report.seconds:.1f} s; counts {report.counts}; audit head "
               f"{report.audit_head[:12]}")
    if report.problems:
        for problem in report.problems:
            click.echo(f"problem: {problem}", err=True)
        _fail("the restored copy differs from the backup (see above)")
    click.echo("every count, the audit chain and every object's SHA-256 match the backup")
