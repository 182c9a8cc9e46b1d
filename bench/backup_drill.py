"""The backup drill on the demo county, on PostgreSQL: recovery point and recovery time.

    python -m bench.backup_drill --database-url postgresql://postgres@127.0.0.1:5432/bench_backup

Builds the demo county (`flask seed reference`, `flask seed demo --persons N`), backs it up
(`flask backup`), restores it into a second, empty database and evidence folder (`flask
restore`, which checks counts, the audit chain and every object's SHA-256), and prints:

- the backup's duration: the data written meanwhile is the only data a backup taken at that
  moment may miss, so with a nightly backup the recovery point is the last night's start;
- the restore's duration, checks included: the recovery time of the database and store
  (add the time to start the portal on the restored copy);
- the restore time ÷ the backup time, measured in the same run.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.common import fresh_database


def _app(url: str, evidence: Path, migrate: bool):
    from flask_migrate import upgrade

    from portal import create_app

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "EVIDENCE_DIR": str(evidence)})
    if migrate:
        with app.app_context():
            upgrade()
    return app


def _run(app, *args: str) -> float:
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=list(args))
    if result.exit_code != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.output}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/"
                                                   "bench_backup")
    parser.add_argument("--persons", type=int, default=2000)
    args = parser.parse_args()
    restored_url = args.database_url.rsplit("/", 1)[0] + "/bench_backup_restored"
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        source_url = stack.enter_context(fresh_database(args.database_url))
        target_url = stack.enter_context(fresh_database(restored_url))
        source = _app(source_url, tmp / "evidence", migrate=True)
        _run(source, "seed", "reference")
        seeded = _run(source, "seed", "demo", "--persons", str(args.persons))
        backup_s = _run(source, "backup", str(tmp / "backup"))
        size = sum(p.stat().st_size for p in (tmp / "backup").rglob("*") if p.is_file())
        target = _app(target_url, tmp / "restored-evidence", migrate=False)
        restore_s = _run(target, "restore", str(tmp / "backup"))
    print(f"demo county: {args.persons} persons seeded in {seeded:.1f} s; backup "
          f"{size / 1e6:.1f} MB")
    print(f"backup (pg_dump + objects + manifest): {backup_s:.2f} s")
    print(f"restore (pg_restore + objects + checks): {restore_s:.2f} s  (recovery time)")
    print(f"restore / backup: {restore_s / backup_s:.2f}")


if __name__ == "__main__":
    main()
