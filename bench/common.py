"""Helpers shared by the benchmarks: a throw-away PostgreSQL database, the real app on it,
a logged-in test client, and timing by medians."""
from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
PASSWORD = "bench-password-correct-9"


def _sa_url(url: str) -> sa.engine.URL:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return sa.engine.make_url(url)


@contextmanager
def fresh_database(url: str, keep: bool = False) -> Iterator[str]:
    """Create the database named in `url` (dropping any old one), yield its URL, drop it."""
    target = _sa_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    try:
        yield target.render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        admin.dispose()


def make_app(url: str, **settings) -> Flask:
    """The portal on `url` (and any further `settings`), schema built by the migrations (as
    `flask db upgrade` does)."""
    from flask_migrate import upgrade

    from portal import create_app

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, **settings})
    with app.app_context():
        upgrade()
    return app


def logged_in_client(app: Flask, username: str):
    """A test client signed in through the real login form."""
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    response = client.post("/auth/login", data={
        "username": username, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"login as {username} failed: {response.status_code}")
    return client


def median_ms(action: Callable[[], object], repeat: int, warmup: int = 3) -> float:
    """Median wall time of `action` in milliseconds over `repeat` runs after a warm-up."""
    for _ in range(warmup):
        action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def geometric_mean(values: list[float]) -> float:
    return statistics.geometric_mean(values) if values else float("nan")
