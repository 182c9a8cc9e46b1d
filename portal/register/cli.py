"""`flask --app wsgi holders import`: the national database's export into the register."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.imports import exports, messages
from portal.register.importer import apply_plan, plan_holders, read_holders
from portal.uow import rollback

holders_cli = AppGroup("holders", help="The register of certificate holders.")


@holders_cli.command("import")
@click.option("--township", "township_code", default=None,
              help="township code (default: the whole county, by the township column)")
@click.option("--dry-run", is_flag=True, help="report what the import would do; write nothing")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_command(township_code, dry_run, file):
    """Import FILE's valid holders; rejected rows go to FILE.rejected.xlsx beside it."""
    from portal.imports.cli import (
        _township,
        file_errors_exit,
        file_import_or_exit,
        rejects_path,
    )

    township = _township(township_code) if township_code else None
    if dry_run:
        with file_errors_exit():
            try:
                plan = plan_holders(read_holders(
                    file, max_rows=current_app.config["ROSTER_MAX_ROWS"]), township)
            finally:
                rollback()  # a dry run keeps nothing
    else:
        with file_import_or_exit():
            plan = plan_holders(read_holders(
                file, max_rows=current_app.config["ROSTER_MAX_ROWS"]), township)
            apply_plan(plan, None, file.name)
    for row, code in plan.notes:
        click.echo(messages.note_text(row, code))
    target = rejects_path(file)
    if plan.rejects:
        exports.write_rejects_file(target, plan.rejects)
        click.echo(f"rejected rows written to {target}")
    elif target.exists():
        target.unlink()
    counts = plan.counts
    click.echo(("dry run: " if dry_run else "") + " ".join(
        f"{key}={counts[key]}" for key in ("new", "updated", "unchanged", "kept", "new_persons",
                                           "matched_persons", "rejected")))
