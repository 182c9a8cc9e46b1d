"""`flask --app wsgi evidence reap|verify`: keep the store and the evidence rows in step."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.extensions import db

evidence_cli = AppGroup("evidence", help="Maintain the evidence store.")


@evidence_cli.command("reap")
@click.option("--older-than-minutes", default=60, show_default=True, type=click.IntRange(1),
              help="only objects at least this old (a row may still be on its way)")
@click.option("--dry-run", is_flag=True, help="list what would be removed, remove nothing")
def reap(older_than_minutes: int, dry_run: bool):
    """Remove objects that have no evidence row (left by a crash between object and row)."""
    from portal.evidence.services import get_store, reap_orphans
    from portal.storage import StoreError

    store = get_store(current_app)
    if dry_run:
        store = _DryRun(store)
    try:
        result = reap_orphans(store, older_than=timedelta(minutes=older_than_minutes))
    except StoreError as exc:
        raise click.ClickException(f"evidence store unavailable: {exc}") from None
    for key in result.removed:
        click.echo(f"{'would remove' if dry_run else 'removed'} {key}")
    for key in result.aborted_uploads:
        click.echo(f"{'would abort' if dry_run else 'aborted'} unfinished upload of {key}")
    click.echo(f"orphans {'found' if dry_run else 'removed'}: {len(result.removed)}; "
               f"unfinished uploads {'found' if dry_run else 'aborted'}: "
               f"{len(result.aborted_uploads)}; "
               f"with a row: {result.with_row}; too recent to judge: {result.kept_young}")


class _DryRun:
    """A store wrapper that lists instead of deleting."""

    def __init__(self, store):
        self._store = store

    def iter_objects(self, prefix=""):
        return self._store.iter_objects(prefix)

    def delete(self, key):
        return None

    def __getattr__(self, name):
        if name == "iter_incomplete_uploads" and hasattr(self._store, name):
            return self._store.iter_incomplete_uploads
        if name == "abort_incomplete" and hasattr(self._store, "iter_incomplete_uploads"):
            return lambda upload: None
        raise AttributeError(name)


@evidence_cli.command("verify")
@click.option("--township", "township_code", default=None, help="only this township's evidence")
def verify(township_code: str | None):
    """Re-read every object and report those whose SHA-256 or size no longer matches."""
    from portal.evidence.services import get_store, verify_objects
    from portal.reference.models import Township

    township_id = None
    if township_code:
        township = db.session.execute(
            select(Township).where(Township.code == township_code)).scalar_one_or_none()
        if township is None:
            raise click.BadParameter(f"no township {township_code!r}", param_hint="--township")
        township_id = township.id
    checked = bad = 0
    for evidence, problem in verify_objects(get_store(current_app), township_id=township_id):
        checked += 1
        if problem is None:
            continue
        bad += 1
        click.echo(f"MISMATCH evidence={problem.evidence_id} case={evidence.case_id} "
                   f"key={problem.key} problem={problem.problem} expected={problem.expected} "
                   f"found={problem.found or '-'}")
    click.echo(f"checked: {checked}; mismatching: {bad}")
    if bad:
        raise SystemExit(1)
