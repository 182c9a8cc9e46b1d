"""The outbox on the real queue: a message committed by one process is sent by a round a real
`flask jobs worker` runs (RQ on Redis), through the official SMS SDK against a local fake of
the provider; the provider busy at first, the worker's round queues the retry's round for its
time (RQ's scheduler), which sends the message once. Skipped, saying why, without Redis."""
from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from portal import uow
from portal.extensions import db
from portal.jobs.models import Job
from portal.notices import tasks
from portal.notices.models import Notice
from portal.notices.services import notify
from tests.jobs.conftest import queue_env, start_worker, stop_worker, wait_for  # noqa: F401
from tests.notices.fake_aliyun import FakeAliyunSms
from tests.notices.test_aliyun import TEMPLATES


def _notice_for_a_new_person(app, phone: str) -> int:
    from portal.domain import idcard
    from portal.reference.models import Township
    from portal.rosters.models import Person

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        with uow.unit_of_work():
            township = Township(code=f"n{tag}", name=f"消息乡{tag}", kind="township",
                                position=1)
            db.session.add(township)
            db.session.flush()
            number = idcard.make("533103", date(1970, 1, 2), 7)
            person = Person(township_id=township.id, name="居民", gender="男",
                            id_number=number, id_reversed=number[::-1],
                            birth_date=date(1970, 1, 2), phone=phone)
            db.session.add(person)
            db.session.flush()
            notice = notify("certificate_ready", person=person, key=f"rq:{tag}",
                            params={"place": "芒市镇残联"})
        notice_id = notice.id
        db.session.remove()
    return notice_id


def _read(app, notice_id: int):
    with app.app_context():
        try:
            notice = db.session.get(Notice, notice_id)
            rounds = db.session.execute(select(Job.state, Job.result, Job.run_after)
                                        .where(Job.kind == tasks.KIND)
                                        .order_by(Job.id)).all()
            return (notice.state, notice.attempts, notice.out_id), rounds
        finally:
            db.session.remove()


def test_a_busy_provider_s_message_is_sent_by_the_retry_s_round(queue_env, monkeypatch):  # noqa: F811
    env = queue_env
    web = env.web[0]
    with FakeAliyunSms() as provider:
        for name, value in {**TEMPLATES, "SMS_ENDPOINT": provider.endpoint,
                            "NOTICE_RETRY_SECONDS": "2"}.items():
            monkeypatch.setenv(name, value)
        phone = f"139{uuid.uuid4().int % 10**8:08d}"
        provider.errors = {phone: "isv.BUSINESS_LIMIT_CONTROL"}  # busy: try later
        worker = start_worker(env, "--with-scheduler")
        try:
            notice_id = _notice_for_a_new_person(web, phone)
            wait_for(lambda: _read(web, notice_id)[0][:2] == ("pending", 1),
                     what="the first attempt, refused", env=env)
            provider.errors = {}
            (_sent, attempts, out_id), rounds = wait_for(
                lambda: ((found := _read(web, notice_id))[0][0] == "sent"
                         and all(r.state == "done" for r in found[1]) and found),
                what="the message sent by the retry's round, the rounds done", env=env)
        finally:
            log = stop_worker(worker)
    assert attempts >= 2 and provider.out_ids() == [out_id], log[-3000:]  # sent once
    first, *later = rounds
    assert first.state == "done" and first.run_after is None
    assert first.result["retry"] == 1
    assert later and later[-1].run_after is not None  # queued for the retry's time
    assert sum(r.result["sent"] for r in rounds if r.result) == 1
