"""Black-box: the portal runs as its own process and is driven over HTTP only. A 公示 (public
notice) posted today cannot end today; restarted with PORTAL_DAYS_AHEAD past its five working
days, the same notice ends, with no code patched. Production refuses the setting at start."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import requests

from portal import create_app
from portal.clock import real_today
from portal.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple 7"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PORTAL_TODAY", "PORTAL_DAYS_AHEAD", "DATABASE_URL")}
    env.update({"PORTAL_ENV": "development", "SECRET_KEY": "walk-" * 8,
                "DATABASE_URL": f"sqlite:///{tmp / 'portal.sqlite3'}",
                "EVIDENCE_DIR": str(tmp / "evidence"), "IMPORT_DIR": str(tmp / "imports"),
                "PORTAL_INSTANCE_DIR": str(tmp), **extra})
    return env


@contextmanager
def portal_process(tmp: Path, **settings):
    port = _port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1",
         "--port", str(port)], cwd=ROOT, env=_env(tmp, **settings),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(base + "/auth/login", timeout=1)
                break
            except requests.ConnectionError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stderr.read().decode()) from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stderr.close()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf[-_]token" (?:value|content)="([^"]+)"', page).group(1)


def _log_in(base: str) -> requests.Session:
    browser = requests.Session()
    form = browser.get(base + "/auth/login").text
    answer = browser.post(base + "/auth/login", data={
        "csrf_token": _csrf(form), "username": "walk_staff", "password": PASSWORD})
    assert answer.ok and "/auth/login" not in answer.url, "the login was refused"
    return browser


def _step(browser, base: str, case_id: int, action: str, **fields) -> str:
    url = f"{base}/t/walk/cases/{case_id}"
    token = _csrf(browser.get(url).text)
    return browser.post(f"{url}/steps/{action}",
                        data={"csrf_token": token, **fields}).text


def _prepare(tmp: Path) -> int:
    """The database as a township would have it: staff and an assessed, qualifying case."""
    from flask_migrate import upgrade

    from portal.auth.services import add_membership, create_user
    from portal.cases.services import create_case
    from portal.domain import idcard
    from portal.reference.models import Township
    from portal.rosters.models import Person

    app = create_app({"ENV_NAME": "testing",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'portal.sqlite3'}"})
    with app.app_context():
        upgrade()
        township = Township(code="walk", name="步行乡", kind="township", position=1)
        db.session.add(township)
        db.session.flush()
        staff = create_user("walk_staff", PASSWORD)
        add_membership(staff, "township_staff", township)
        number = idcard.make("533103", date(1958, 4, 2), 17)
        parsed = idcard.parse(number)
        person = Person(township_id=township.id, name="赵六", gender=parsed.gender,
                        id_number=number, id_reversed=number[::-1],
                        birth_date=parsed.birth_date)
        db.session.add(person)
        db.session.flush()
        case = create_case(township, staff, person, kind="issue", path="concentrated")
        case.state, case.category, case.grade = "assessed", "physical", 3
        db.session.commit()
        return case.id


def _case(tmp: Path, case_id: int):
    from portal.cases.models import Case

    app = create_app({"ENV_NAME": "testing",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'portal.sqlite3'}"})
    with app.app_context():
        case = db.session.get(Case, case_id)
        return case.state, case.publicity_starts_on, case.publicity_ends_on


def test_publicity_walk_moves_with_days_ahead(tmp_path):
    case_id = _prepare(tmp_path)
    today = real_today()
    with portal_process(tmp_path) as base:
        browser = _log_in(base)
        page = browser.get(f"{base}/t/walk/cases/{case_id}").text
        assert "clock-banner" not in page
        _step(browser, base, case_id, "start_publicity", starts_on=today.isoformat())
        state, starts, ends = _case(tmp_path, case_id)
        assert (state, starts) == ("publicity", today) and ends > today
        _step(browser, base, case_id, "end_publicity")
        assert _case(tmp_path, case_id)[0] == "publicity"  # five working days not run yet
        browser.close()

    ahead = (ends - today).days + 1
    with portal_process(tmp_path, PORTAL_DAYS_AHEAD=str(ahead)) as base:
        browser = _log_in(base)
        page = browser.get(f"{base}/t/walk/cases/{case_id}").text
        assert "clock-banner" in page
        moved = date.fromordinal(today.toordinal() + ahead).isoformat()
        assert moved in page and today.isoformat() in page
        _step(browser, base, case_id, "end_publicity")
        assert _case(tmp_path, case_id)[0] == "under_review"
        browser.close()


def test_production_process_refuses_to_start_with_a_moved_clock(tmp_path):
    env = _env(tmp_path, PORTAL_ENV="production", PORTAL_DAYS_AHEAD="8",
               PUBLIC_BASE_URL="https://cjr.example.gov.cn")
    done = subprocess.run([sys.executable, "-c", "import wsgi"], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "PORTAL_DAYS_AHEAD may move the portal's clock only in development" in done.stderr
