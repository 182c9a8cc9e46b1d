"""Benchmark: does a refused login take the same time whatever the reason?

Four refusals through the real login view, with the production Argon2 parameters:
a wrong password for a known account (the reference), an unknown username, a switched-off
account and an account waiting after failures. The requests are interleaved, round after
round, so that any load hits them alike; each kind's median and the ratio of its median to
the reference are printed. Goal: every ratio within 0.9–1.1 (one Argon2 verification each,
the rest of the request is small beside it).

    python -m bench.login_timing                 # temporary SQLite database, 40 rounds
    python -m bench.login_timing --rounds 100
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

PASSWORD = "bench-login-correct-horse-7"
KINDS = ("known", "unknown", "switched_off", "waiting")
GOAL = (0.9, 1.1)


def _setup(tmp: Path):
    from flask_migrate import upgrade

    from portal import create_app
    from portal.auth.services import add_membership, create_user
    from portal.config import Config
    from portal.extensions import db
    from portal.reference.models import Township

    app = create_app({
        "ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "EVIDENCE_DIR": str(tmp / "evidence"), "IMPORT_DIR": str(tmp / "imports"),
        "LOGIN_RATE_LIMIT": "100000 per minute", "LOGIN_MAX_FAILURES": 1_000_000,
        # Production's cost: the verification is what the request's time is made of.
        "ARGON2_TIME_COST": Config.ARGON2_TIME_COST,
        "ARGON2_MEMORY_COST": Config.ARGON2_MEMORY_COST,
        "ARGON2_PARALLELISM": Config.ARGON2_PARALLELISM,
    })
    with app.app_context():
        upgrade()
        township = Township(code="bench", name="测速乡", kind="township", position=1)
        db.session.add(township)
        db.session.flush()
        for name in ("bench_known", "bench_off", "bench_waiting"):
            add_membership(create_user(name, PASSWORD), "township_staff", township)
        db.session.commit()
    return app


def _reset(app) -> None:
    """Before each request: no failures counted; the waiting account waits."""
    from sqlalchemy import update

    from portal.auth.models import User
    from portal.extensions import db
    from portal.models_base import utcnow

    with app.app_context():
        db.session.execute(update(User).values(failed_logins=0, locked_until=None))
        db.session.execute(update(User).where(User.username == "bench_off").values(
            active=False))
        db.session.execute(update(User).where(User.username == "bench_waiting").values(
            locked_until=utcnow() + timedelta(minutes=5)))
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    usernames = {"known": "bench_known", "unknown": "bench_nobody",
                 "switched_off": "bench_off", "waiting": "bench_waiting"}
    with tempfile.TemporaryDirectory() as tmp:
        app = _setup(Path(tmp))
        client = app.test_client()
        from tests.conftest import csrf_token

        times = {kind: [] for kind in KINDS}
        for round_ in range(args.rounds + 2):
            for kind in KINDS:
                _reset(app)
                token = csrf_token(client)
                start = time.perf_counter()
                response = client.post("/auth/login", data={
                    "username": usernames[kind], "password": "wrong-password-1",
                    "csrf_token": token})
                elapsed = time.perf_counter() - start
                assert response.status_code == 200, (kind, response.status_code)
                if round_ >= 2:  # the first rounds warm caches (and make the dummy hash)
                    times[kind].append(elapsed)
    reference = statistics.median(times["known"])
    print(f"login refusals, {args.rounds} interleaved rounds, Argon2 "
          f"t={app.config['ARGON2_TIME_COST']} m={app.config['ARGON2_MEMORY_COST']} KiB")
    print(f"{'refusal':<14} {'median ms':>10} {'ratio':>7}")
    worst = 1.0
    for kind in KINDS:
        median = statistics.median(times[kind])
        ratio = median / reference
        worst = max(worst, ratio, 1 / ratio)
        print(f"{kind:<14} {median * 1000:>10.1f} {ratio:>7.3f}")
    low, high = GOAL
    verdict = "met" if all(low <= statistics.median(times[k]) / reference <= high
                           for k in KINDS) else "NOT met"
    print(f"goal: every ratio within {low}–{high}: {verdict} (worst {worst:.3f})")


if __name__ == "__main__":
    main()
