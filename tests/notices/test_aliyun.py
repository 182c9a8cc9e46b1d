"""SMS through Alibaba Cloud's official SDK, against a local fake of its HTTP API: template,
out id and values as registered, final and temporary errors, and exactly one message per
notice across a worker killed in the middle of a batch (a separate process, on each database).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from portal import create_app, uow
from portal.extensions import db
from portal.notices.models import Notice
from portal.notices.services import notify, send_due
from portal.rosters.models import Person
from tests.conftest import BACKENDS, create_postgres_database, drop_postgres_database
from tests.notices.fake_aliyun import FakeAliyunSms

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = {"SMS_TEMPLATE_CERTIFICATE_READY": "SMS_300001", "SMS_SIGN_NAME": "芒市残联",
             "SMS_ACCESS_KEY_ID": "test-ak", "SMS_ACCESS_KEY_SECRET": "test-secret",
             "SMS_PROTOCOL": "http", "NOTICE_SMS_BACKEND": "aliyun"}


@pytest.fixture
def provider():
    with FakeAliyunSms() as fake:
        yield fake


@pytest.fixture
def aliyun(app, provider):
    saved = {k: app.config.get(k) for k in (*TEMPLATES, "SMS_ENDPOINT")}
    app.config.update(TEMPLATES, SMS_ENDPOINT=provider.endpoint)
    yield provider
    app.config.update(saved)


def test_a_message_goes_through_the_sdk_with_its_template(
        db_session, aliyun, make_township, make_person):
    person = make_person(make_township(), phone="13800000001")
    notice = notify("certificate_ready", person=person, key="c", params={"place": "芒市镇残联"})
    uow.commit()
    assert send_due()["sent"] == 1
    [message] = aliyun.sent
    assert message["TemplateCode"] == "SMS_300001" and message["SignName"] == "芒市残联"
    assert message["OutId"] == notice.out_id and message["PhoneNumbers"] == "13800000001"
    assert json.loads(message["TemplateParam"]) == {"place": "芒市镇残联"}
    assert person.id_number not in json.dumps(message, ensure_ascii=False)
    db_session.refresh(notice)
    assert notice.state == "sent" and notice.provider_ref == "1^0"


def test_provider_errors_fail_or_wait(db_session, aliyun, make_township, make_person):
    township = make_township()
    bad = make_person(township, phone="10000")
    busy = make_person(township, phone="13800000002")
    aliyun.errors = {"10000": "isv.MOBILE_NUMBER_ILLEGAL",
                     "13800000002": "isv.BUSINESS_LIMIT_CONTROL"}
    for who in (bad, busy):
        notify("certificate_ready", person=who, key=str(who.id), params={"place": "镇残联"})
    uow.commit()
    assert send_due() == {"recovered": 0, "sent": 0, "retry": 1, "failed": 1}
    states = dict(db_session.execute(select(Notice.recipient, Notice.state)).all())
    assert states == {"10000": "failed", "13800000002": "pending"}


# --- a worker killed mid-batch, then restarted --------------------------------------------

@pytest.fixture(params=BACKENDS)
def county_db(request, tmp_path):
    """A database of its own (the worker is another process and sees only committed rows)."""
    pg = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
    else:
        pg = create_postgres_database("outbox")
        url = pg.render_as_string(hide_password=False)
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "EVIDENCE_DIR": str(tmp_path / "evidence")})
    with app.app_context():
        upgrade()
    yield app, url
    with app.app_context():
        db.engine.dispose()
    if pg is not None:
        drop_postgres_database(pg)


def _seed(app, count: int) -> list[str]:
    from portal.domain import idcard
    from portal.reference.models import Township

    with app.app_context(), uow.unit_of_work():
        township = Township(code="ms", name="芒市镇")
        db.session.add(township)
        db.session.flush()
        for n in range(count):
            number = idcard.make("533103", date(1970, 1, n + 1), n)
            person = Person(township_id=township.id, name=f"居民{n}", gender="男",
                            id_number=number, id_reversed=number[::-1],
                            birth_date=date(1970, 1, n + 1), phone=f"1380000{n:04d}")
            db.session.add(person)
            db.session.flush()
            notify("certificate_ready", person=person, key=f"case:{n}",
                   params={"place": "芒市镇残联"})
    with app.app_context():
        return list(db.session.scalars(select(Notice.out_id).order_by(Notice.id)))


def _worker(url: str, provider, tmp_path: Path, **extra) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_TODAY"}
    env.update(TEMPLATES, PORTAL_ENV="development", SECRET_KEY="outbox-" * 6,
               DATABASE_URL=url, SMS_ENDPOINT=provider.endpoint,
               EVIDENCE_DIR=str(tmp_path / "evidence"), PORTAL_INSTANCE_DIR=str(tmp_path),
               **extra)
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "notices", "send"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_exactly_once_across_a_worker_killed_mid_batch(county_db, provider, tmp_path):
    app, url = county_db
    out_ids = _seed(app, 3)
    provider.hold_seconds = 30  # the provider takes the first message, then does not answer
    first = _worker(url, provider, tmp_path)
    deadline = time.monotonic() + 60
    while not provider.out_ids() and time.monotonic() < deadline:
        assert first.poll() is None, first.stderr.read().decode()
        time.sleep(0.05)
    assert provider.out_ids() == out_ids[:1]
    first.send_signal(signal.SIGKILL)  # dead between handing over and recording
    first.wait(timeout=10)
    first.stdout.close()
    first.stderr.close()
    with app.app_context():
        states = list(db.session.scalars(select(Notice.state).order_by(Notice.id)))
    assert states == ["sending", "pending", "pending"]

    provider.hold_seconds = 0
    second = _worker(url, provider, tmp_path, NOTICE_CLAIM_TIMEOUT_SECONDS="0")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()[-2000:]
    assert "recovered=1" in out.decode() and "sent=2" in out.decode()
    assert sorted(provider.out_ids()) == sorted(out_ids)  # each exactly once
    with app.app_context():
        rows = db.session.execute(select(Notice.state, Notice.sent_at)).all()
        numbers = list(db.session.scalars(select(Person.id_number)))
    assert {state for state, _ in rows} == {"sent"} and all(at for _, at in rows)
    for message in provider.sent:
        assert not any(number in json.dumps(message) for number in numbers)
