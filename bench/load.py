"""200 users of the demo county for 60 s against the production setup (docs/deploy.md).

    python -m bench.load --database-url postgresql://postgres@127.0.0.1:5432/bench_load

Creates (and afterwards drops) the database, builds the schema, seeds the demo county
(`flask seed demo`), adds the load's accounts (township staff of every township, village
liaisons, city supervisors with a second factor, one staff member who imports a roster and one
who exports a list), then starts what production runs: `gunicorn -c deploy/gunicorn.conf.py
wsgi:app` (PORTAL_WORKERS, default 2 × cores + 1) and `flask --app wsgi jobs worker` on Redis,
behind one trusted proxy (TRUSTED_PROXIES=1: each simulated user sends its own
X-Forwarded-For, as nginx would set it). Then locust, headless and in its own process
(bench/locustfile.py), signs the users in (`--spawn-rate` a second) and, once all are in,
lets them work for `--seconds`. Prints the sign-in phase apart (each login is a deliberately
slow Argon2id hash), then the work phase: errors, the median and 95th percentile per kind of
page, requests per second per core, and the CPU seconds the portal (gunicorn and the job
worker) used for them.

`--bulk-persons 998000` adds persons to the demo county with COPY (certificates and cases
among them), as an import would, and runs the dashboard refresh job once before the users
come: the same load at 1,000,000 persons.

Everything runs on this machine: locust's own CPU is taken from the portal's.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import requests

from bench.common import fresh_database
from bench.roster_import import generate

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "load-test-password-correct-7"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECRET_KEY = "bench-load-secret-key-not-for-production"
PAGE_GOAL_MS = 500
SAMPLE = 40  # persons and cases each user picks from


def _settings(url: str, tmp: Path, port: int, redis_url: str, workers: int | None,
              cheap_logins: bool = False) -> dict:
    environ = {**os.environ, "PORTAL_ENV": "development", "SECRET_KEY": SECRET_KEY,
               "DATABASE_URL": url, "PORTAL_BIND": f"127.0.0.1:{port}",
               "PORTAL_INSTANCE_DIR": str(tmp / "instance"), "IMPORT_DIR": str(tmp / "imports"),
               "EVIDENCE_DIR": str(tmp / "evidence"), "JOBS_BACKEND": "rq",
               "REDIS_URL": redis_url, "JOBS_QUEUE": f"bench-load-{uuid.uuid4().hex[:8]}",
               "RATELIMIT_STORAGE_URI": redis_url, "TRUSTED_PROXIES": "1",
               "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"), "MEDIA_SERVICE_URL": ""}
    if workers:
        environ["PORTAL_WORKERS"] = str(workers)
    if cheap_logins:  # the accounts' own (cheap) hash is then not rehashed at the first login
        environ.update(ARGON2_TIME_COST="1", ARGON2_MEMORY_COST="8192", ARGON2_PARALLELISM="1")
    for name in ("PORTAL_TODAY", "PORTAL_DAYS_AHEAD", "FLASK_APP"):
        environ.pop(name, None)
    return environ


def seed(url: str, persons: int) -> None:
    """The schema and the demo county, as an operator sets them up."""
    environ = {**os.environ, "PORTAL_ENV": "development", "SECRET_KEY": SECRET_KEY,
               "DATABASE_URL": url}
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=environ, check=True,
                   capture_output=True)
    subprocess.run([*flask, "seed", "demo", "--persons", str(persons)], cwd=ROOT, env=environ,
                   check=True, capture_output=True)


def add_bulk_persons(url: str, count: int, tmp: Path) -> float:
    """`count` more persons in the demo county's townships and villages (COPY), certificates
    and cases among them, the statistics renewed and the dashboard refreshed once, as the job
    worker does after an import. Returns the seconds taken."""
    import psycopg

    from bench.dashboard import add_certificates_and_cases
    from bench.roster_list import TOWNSHIP_WEIGHTS, load_persons, name_pool

    started = time.perf_counter()
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain) as conn:
        rows = conn.execute("SELECT t.id, t.code, v.id FROM townships t "
                            "JOIN villages v ON v.township_id = t.id ORDER BY t.id, v.id")
        villages: dict[int, list[int]] = {}
        codes: dict[int, str] = {}
        for township_id, code, village_id in rows:
            villages.setdefault(township_id, []).append(village_id)
            codes[township_id] = code
        seen = {n for (n,) in conn.execute("SELECT id_number FROM persons")}
        after = conn.execute("SELECT coalesce(max(id), 0) FROM persons").fetchone()[0]
        staff_id = conn.execute("SELECT min(id) FROM users").fetchone()[0]
    rng = random.Random(1_000_000)
    weights = [TOWNSHIP_WEIGHTS.get(codes[tid], 6) for tid in villages]
    load_persons(url, rng, count, villages, weights, name_pool(rng, 20_000), seen)
    add_certificates_and_cases(url, after, staff_id)
    environ = {**os.environ, "PORTAL_ENV": "development", "SECRET_KEY": SECRET_KEY,
               "DATABASE_URL": url, "JOBS_BACKEND": "inline",
               "PORTAL_INSTANCE_DIR": str(tmp / "instance"), "IMPORT_DIR": str(tmp / "imports"),
               "EVIDENCE_DIR": str(tmp / "evidence")}
    subprocess.run([sys.executable, "-c", REFRESH], cwd=ROOT, env=environ, check=True)
    return time.perf_counter() - started


# The dashboard refresh job, run once as the job worker would after the bulk load.
REFRESH = """
from portal import create_app
from portal.dashboards.refresh_jobs import KEY, KIND, request_refresh
from portal.jobs.runner import run
from portal.jobs.services import pending
from portal.uow import unit_of_work
app = create_app()
with app.app_context():
    with unit_of_work():
        job = request_refresh(0)
    if job is None:
        run(pending(KIND, KEY).id, early=True)
"""


def _pick(query) -> list[int]:
    """Up to SAMPLE ids of `query`'s, chosen at random by the database (a township of the
    county of a million has some 80,000 persons: not fetched to choose 40)."""
    from sqlalchemy import func

    from portal.extensions import db

    return list(db.session.scalars(query.order_by(func.random()).limit(SAMPLE)))


def add_accounts(url: str, count: int) -> list[dict]:
    """`count` accounts of the county's roles; one password, supervisors with the test key.
    Created with a cheap password hash (the hash's own parameters are what a login checks)."""
    from sqlalchemy import select

    from portal import create_app
    from portal.auth import totp
    from portal.auth.roles import Role
    from portal.auth.services import add_membership, create_user
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.reference.models import Township, Village
    from portal.rosters.models import Person
    from portal.uow import unit_of_work

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": SECRET_KEY})
    accounts: list[dict] = []
    with app.app_context(), unit_of_work():
        townships = list(db.session.scalars(select(Township).order_by(Township.position)))
        for n in range(count):
            role = ("importer" if n == 0 else "exporter" if n == 1
                    else "supervisor" if n % 10 == 2 else "village_liaison" if n % 7 == 3
                    else "township_staff")
            township = townships[n % len(townships)] if role != "supervisor" else None
            user = create_user(f"load_{n:03d}", PASSWORD)
            persons = select(Person.id).where(Person.township_id == getattr(township, "id", 0))
            cases: list[int] = []
            if role == "supervisor":
                add_membership(user, Role.SUPERVISOR, None)
                user.totp_secret = totp._fernet().encrypt(TOTP_SECRET.encode()).decode()
                user.totp_enabled = True
            elif role == "village_liaison":
                villages = list(db.session.scalars(select(Village).where(
                    Village.township_id == township.id).order_by(Village.id).limit(2)))
                add_membership(user, Role.VILLAGE_LIAISON, township, villages)
                persons = persons.where(Person.village_id.in_([v.id for v in villages]))
            else:
                add_membership(user, Role.TOWNSHIP_STAFF, township)
                cases = _pick(select(Case.id).where(Case.township_id == township.id))
            accounts.append({"username": user.username, "role": role,
                             "township": getattr(township, "code", ""),
                             "persons": _pick(persons),
                             "cases": cases})
    with app.app_context():
        db.engine.dispose()
    return accounts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(command: list[str], environ: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=environ, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class CpuMeter:
    """CPU seconds (user + system) of the portal's processes (gunicorn's master and workers,
    the job worker) from the start of the work phase (when locust writes the sign-in file)
    to `stop()`."""

    def __init__(self, processes: list[subprocess.Popen], signin_file: Path):
        import threading

        self.roots = [psutil.Process(p.pid) for p in processes]
        self.signin_file, self.started, self.at_start = signin_file, None, None
        self._thread = threading.Thread(target=self._wait_for_work, daemon=True)
        self._thread.start()

    def _seconds(self) -> float:
        total = 0.0
        for root in self.roots:
            for process in [root, *root.children(recursive=True)]:
                try:
                    times = process.cpu_times()
                    total += times.user + times.system
                except psutil.Error:
                    pass
        return total

    def _wait_for_work(self) -> None:
        while not self.signin_file.exists():
            time.sleep(0.05)
        self.at_start, self.started = self._seconds(), time.perf_counter()

    def stop(self) -> tuple[float, float] | None:
        """(CPU seconds used, wall seconds) of the work phase, or None if it never began."""
        if self.started is None:
            return None
        return self._seconds() - self.at_start, time.perf_counter() - self.started


def run_locust(base: str, users_file: Path, args, tmp: Path) -> Path:
    """locust headless against `base`: the sign-in phase, then `args.seconds` of work (the
    locustfile ends the run); returns the prefix of its CSV files."""
    prefix = tmp / "load"
    environ = {**os.environ, "LOAD_USERS": str(users_file), "LOAD_THINK": args.think,
               "LOAD_EXPECTED": str(args.users), "LOAD_WORK_SECONDS": str(args.seconds),
               "LOAD_SIGNIN_FILE": str(tmp / "signin.json")}
    limit = args.seconds + args.users / args.spawn_rate + 300  # if a sign-in never ends
    subprocess.run([str(Path(sys.executable).parent / "locust"), "-f", "bench/locustfile.py",
                    "--headless", "--users", str(args.users), "--spawn-rate",
                    str(args.spawn_rate), "--run-time", f"{limit:.0f}s", "--host", base,
                    "--csv", str(prefix), "--only-summary", "--stop-timeout", "15",
                    "--loglevel", "WARNING"],
                   cwd=ROOT, env=environ, check=False)
    return prefix


def report_signin(path: Path) -> int:
    """The sign-in phase's figures; returns its failures."""
    if not path.exists():
        print("the sign-in phase did not end: not every user signed in")
        return 1
    figures = json.loads(path.read_text(encoding="utf-8"))
    print(f"\nsign-in phase: {figures['requests']} requests in {figures['seconds']:.0f} s, "
          f"{figures['failures']} errors")
    for name, kind in figures["kinds"].items():
        print(f"  {name:<22}{kind['count']:>6}  median {kind['median'] or 0:>6.0f} ms  "
              f"p95 {kind['p95'] or 0:>6.0f} ms  max {kind['max'] or 0:>6.0f} ms")
    return figures["failures"]


def report(prefix: Path, cpu: tuple[float, float] | None) -> bool:
    """The work phase: errors, median and p95 per kind of request, requests per second per
    core, and per CPU second of the portal."""
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cores = os.cpu_count() or 1
    head = f"{'request':<24}{'count':>8}{'errors':>8}{'median':>9}{'p95':>8}{'max':>9}"
    print("\nwork phase\n" + head + "\n" + "-" * len(head))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    pages_ok = True
    for row in rows:
        if row["Name"] == "Aggregated" or row["Request Count"] == "0":
            continue  # (the sign-in's kinds: none after the statistics' reset)
        p95 = float(row["95%"])
        page = row["Type"] == "GET" and not row["Name"].startswith(("import", "login",
                                                                      "second", "export"))
        mark = " over" if page and p95 > PAGE_GOAL_MS else ""
        pages_ok = pages_ok and not mark
        print(f"{row['Name']:<24}{row['Request Count']:>8}{row['Failure Count']:>8}"
              f"{float(row['Median Response Time']):>9.0f}{p95:>8.0f}"
              f"{float(row['Max Response Time']):>9.0f}{mark}")
    errors = int(total["Failure Count"])
    rps = float(total["Requests/s"])
    print("-" * len(head))
    print(f"{total['Request Count']} requests, {errors} errors; {rps:.1f} requests/s, "
          f"{rps / cores:.1f} per core ({cores} cores, locust's own CPU included)")
    if cpu:
        used, wall = cpu
        print(f"the portal's processes used {used:.1f} CPU s in {wall:.0f} s "
              f"({used / wall:.2f} cores busy): "
              f"{int(total['Request Count']) / used:.0f} requests per CPU second")
    print(f"pages p95 ≤ {PAGE_GOAL_MS} ms: {'ok' if pages_ok else 'MISSED'}; "
          f"errors: {'ok' if errors == 0 else 'MISSED'}")
    if errors:
        with open(f"{prefix}_failures.csv", encoding="utf-8") as f:
            for row in list(csv.DictReader(f))[:10]:
                print(f"  {row['Occurrences']}× {row['Method']} {row['Name']}: {row['Error']}")
    return errors == 0 and pages_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/bench_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--persons", type=int, default=2000, help="demo county's persons")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: deploy/gunicorn.conf.py's)")
    parser.add_argument("--roster-rows", type=int, default=2000)
    parser.add_argument("--bulk-persons", type=int, default=0,
                        help="persons added with COPY after the demo county (998000: the "
                             "load at 1,000,000 persons)")
    parser.add_argument("--think", default="5,15", metavar="MIN,MAX",
                        help="seconds each user reads a page before the next (default 5,15: "
                             "staff reading a roster page; 1,3 is a stress pace that finds "
                             "the capacity)")
    parser.add_argument("--cheap-logins", action="store_true",
                        help="password hashing at the test cost, to measure the pages without "
                             "200 production Argon2id logins (64 MiB, t=3) in the same minute")
    args = parser.parse_args(argv)
    with fresh_database(args.database_url) as url, tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        started = time.perf_counter()
        seed(url, args.persons)
        if args.bulk_persons:
            print(f"{args.bulk_persons:,} more persons loaded in "
                  f"{add_bulk_persons(url, args.bulk_persons, tmp):.0f} s")
        accounts = add_accounts(url, args.users)
        generate(tmp / "roster.xlsx", args.roster_rows)
        users_file = tmp / "users.json"
        users_file.write_text(json.dumps({"users": accounts, "password": PASSWORD,
                                          "totp": TOTP_SECRET,
                                          "roster_file": str(tmp / "roster.xlsx")}))
        print(f"demo county ({args.persons + args.bulk_persons:,} persons) and {args.users} "
              f"accounts ready in {time.perf_counter() - started:.0f} s")
        port = _free_port()
        environ = _settings(url, tmp, port, args.redis_url, args.workers, args.cheap_logins)
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        processes = [
            _start([str(Path(sys.executable).parent / "gunicorn"), "-c",
                    "deploy/gunicorn.conf.py", "wsgi:app"], environ, tmp / "gunicorn.log"),
            _start([*flask, "jobs", "worker"], environ, tmp / "jobs.log")]
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base)
            meter = CpuMeter(processes, tmp / "signin.json")
            prefix = run_locust(base, users_file, args, tmp)
            cpu = meter.stop()
            signin_failures = report_signin(tmp / "signin.json")
            ok = report(prefix, cpu) and signin_failures == 0
            server_errors = (tmp / "gunicorn.log").read_text(errors="replace").count('" 50')
            print(f"answers 5xx in the access log: {server_errors}")
        finally:
            _stop(processes)
    return 0 if ok else 1


def _wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz")


if __name__ == "__main__":
    sys.exit(main())
