"""The outbox sent by jobs (`notices.send`): a change's messages go out by the round its commit
queued (debounced), a round delivered twice or killed midway sends each message once, a failed
send is retried by a round queued for its time or by the periodic one, and the round's row
shows what it did."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal import uow
from portal.extensions import db
from portal.jobs import backends
from portal.jobs import runner as job_runner
from portal.jobs import services as job_services
from portal.jobs.models import Job
from portal.models_base import utcnow
from portal.notices import services, tasks
from portal.notices.channels import TryLater
from portal.notices.models import Notice
from portal.notices.services import notify


class Killed(BaseException):
    """The worker's process ends here (SIGKILL): nothing after it runs."""


class Provider:
    """An SMS provider: keeps what it was handed (by out id), answers each send with the next
    scripted outcome, and knows what it has (`was_sent`)."""

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.sent: list[str] = []

    def send(self, notice, text):
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append(notice.out_id)
        if outcome == "kill":  # handed over, then the worker died before recording it
            raise Killed()
        return f"ref-{len(self.sent)}"

    def was_sent(self, notice):
        return notice.out_id in self.sent


@pytest.fixture
def provider(monkeypatch, app):
    """Rounds follow changes (NOTICE_SEND_IN_JOBS) and send through a scripted provider."""
    monkeypatch.setitem(app.config, "NOTICE_SEND_IN_JOBS", True)

    def use(*outcomes):
        scripted = Provider(*outcomes)
        monkeypatch.setattr(services, "channel_for", lambda medium: scripted)
        return scripted
    return use


@pytest.fixture
def on_queue(monkeypatch, app):
    """JOBS_BACKEND=rq with the queue replaced by a list: jobs wait until a test runs them.
    The list holds the rounds handed to the queue: (job id, not before)."""
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "rq")
    handed: list[tuple[int, object]] = []

    def put(app, job, queue=None):
        if job.kind == tasks.KIND:  # (the dashboards' refresh is queued too, with rq)
            handed.append((job.id, job.run_after))

    monkeypatch.setattr(backends, "_put_on_queue", put)
    return handed


@pytest.fixture
def person(make_township, make_person):
    return make_person(make_township(), phone="13800000051", guardian_phone="")


def _rounds() -> list[Job]:
    return db.session.scalars(select(Job).where(Job.kind == tasks.KIND)
                              .order_by(Job.id)).all()


def _ready(person, key: str) -> Notice:
    return notify("certificate_ready", person=person, key=key, params={"place": "镇残联"})


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def test_a_booked_home_visit_is_sent_by_the_round_its_request_queued(
        db_session, client, post, login_as, make_user, make_township, make_person, provider):
    from portal.cases.models import Case

    scripted = provider()
    town = make_township()
    staff = login_as(make_user("township_staff", town))
    doctor = make_user("doctor", username="dr_notice_job")
    person = make_person(town, name="孙八", phone="13800000052", mobility="bedridden",
                         address="一村3组12号")
    case = Case(township_id=town.id, person_id=person.id, kind="issue", path="home_visit",
                state="registered", requested_category="physical", created_by_id=staff.id)
    db_session.add(case)
    db_session.flush()
    response = post(f"/t/{town.code}/schedule/visits/new", {
        "case": case.id, "visit_date": "2020-05-20", "starts_at": "09:00",
        "ends_at": "10:00", "address": "", "doctors": [doctor.id], "staff": [staff.id],
        "notes": ""})
    assert response.status_code == 302
    notice = db_session.scalars(select(Notice).where(Notice.case_id == case.id)).one()
    assert notice.kind == "home_visit_booked"
    assert (notice.state, notice.attempts) == ("sent", 1)  # nobody called send_due
    assert scripted.sent == [notice.out_id]
    [job] = _rounds()
    assert (job.state, job.key, job.township_id, job.attempts) == ("done", tasks.KEY, None, 1)
    assert job.result == {"recovered": 0, "sent": 1, "retry": 0, "failed": 0}
    assert (job.phase, job.done, job.total, job.percent) == ("sending", 1, 1, 100)
    assert job.args == {}  # no personal data on the queue


def test_without_rounds_in_jobs_the_outbox_waits_for_the_worker(
        db_session, person, provider, app, monkeypatch):
    scripted = provider()
    monkeypatch.setitem(app.config, "NOTICE_SEND_IN_JOBS", False)
    notice = _ready(person, "w1")
    uow.commit()
    assert _rounds() == [] and notice.state == "pending" and scripted.sent == []


def test_the_messages_of_one_unit_of_work_make_one_round(db_session, person, provider):
    scripted = provider()
    first, second = _ready(person, "u1"), _ready(person, "u2")
    uow.commit()
    [job] = _rounds()
    assert job.result["sent"] == 2 and (job.done, job.total) == (2, 2)
    assert sorted(scripted.sent) == sorted([first.out_id, second.out_id])


def test_a_round_waiting_on_the_queue_takes_the_next_messages_too(
        db_session, person, provider, on_queue):
    scripted = provider()
    first = _ready(person, "q1")
    uow.commit()
    [job] = _rounds()
    assert job.state == "queued" and on_queue == [(job.id, None)]
    second = _ready(person, "q2")  # while the round still waits for a worker
    uow.commit()
    assert _rounds() == [job] and len(on_queue) == 1  # debounced: no second round
    assert job_runner.run(job.id) == "done"
    db_session.refresh(job)
    assert job.result["sent"] == 2
    assert sorted(scripted.sent) == sorted([first.out_id, second.out_id])
    _ready(person, "q3")  # the round has run: the next message has a round of its own
    uow.commit()
    assert len(_rounds()) == 2 and len(on_queue) == 2


def test_a_round_delivered_twice_or_run_twice_sends_each_message_once(
        db_session, person, provider, on_queue):
    scripted = provider()
    notices = [_ready(person, f"t{n}") for n in range(2)]
    uow.commit()
    [job] = _rounds()
    assert job_runner.run(job.id) == "done"
    assert job_runner.run(job.id) is None  # the same job handed out again: not run
    with uow.unit_of_work():  # another round over the same outbox finds nothing to send
        again = job_services.enqueue(tasks.KIND, {}, key=tasks.KEY)
    assert job_runner.run(again.id) == "done"
    db_session.refresh(again)
    assert again.result == {"recovered": 0, "sent": 0, "retry": 0, "failed": 0}
    assert sorted(scripted.sent) == sorted(n.out_id for n in notices)


def test_a_round_killed_midway_then_retried_sends_each_message_once(
        db_session, person, provider, on_queue, app):
    scripted = provider("ok", "kill")
    first, second, third = (_ready(person, f"k{n}") for n in range(3))
    uow.commit()
    [job] = _rounds()
    with pytest.raises(Killed):
        job_runner.run(job.id)
    db_session.expire_all()
    assert [n.state for n in (first, second, third)] == ["sent", "sending", "pending"]
    assert job.state == "running"
    # Time passes: the round's heartbeat and the message's claim are old.
    long_ago = utcnow() - timedelta(minutes=10)
    db_session.execute(update(Job).where(Job.id == job.id).values(heartbeat_at=long_ago))
    db_session.execute(update(Notice).where(Notice.id == second.id)
                       .values(claimed_at=long_ago))
    uow.commit()
    with uow.unit_of_work():
        assert job_services.reap() == 1
    db_session.refresh(job)
    assert (job.state, job.error) == ("failed", "lost")
    with uow.unit_of_work():
        job_services.retry(job)
    assert job_runner.run(job.id) == "done"
    db_session.expire_all()
    assert [n.state for n in (first, second, third)] == ["sent", "sent", "sent"]
    assert job.result == {"recovered": 1, "sent": 1, "retry": 0, "failed": 0}
    # The provider had the second message: it was recorded, not handed over again.
    assert sorted(scripted.sent) == sorted(n.out_id for n in (first, second, third))


def test_a_failed_send_is_retried_by_a_round_queued_for_its_time(
        db_session, person, provider, on_queue):
    scripted = provider(TryLater("busy"))
    notice = _ready(person, "r1")
    uow.commit()
    [job] = _rounds()
    assert job_runner.run(job.id) == "done"
    db_session.refresh(notice)
    assert (notice.state, notice.attempts, notice.last_error) == ("pending", 1, "busy")
    first, later = _rounds()
    assert first.result["retry"] == 1
    assert later.state == "queued"
    wait = _aware(later.run_after) - _aware(notice.next_attempt_at)  # delay_seconds
    assert timedelta(0) <= wait < timedelta(seconds=1)
    assert on_queue[-1] == (later.id, later.run_after)
    assert job_runner.run(later.id) is None  # a worker that takes it early leaves it
    # Its time comes.
    past = utcnow() - timedelta(seconds=1)
    db_session.execute(update(Notice).where(Notice.id == notice.id)
                       .values(next_attempt_at=past))
    db_session.execute(update(Job).where(Job.id == later.id).values(run_after=past))
    uow.commit()
    assert job_runner.run(later.id) == "done"
    db_session.refresh(notice)
    db_session.refresh(later)
    assert (notice.state, notice.attempts) == ("sent", 2)
    assert later.result["sent"] == 1
    assert scripted.sent == [notice.out_id]
    assert len(_rounds()) == 2  # nothing waits any more: no further round


def test_a_round_waiting_for_a_retry_s_time_does_not_hold_back_a_new_message(
        db_session, person, provider, on_queue):
    provider(TryLater("busy"))
    _ready(person, "b1")
    uow.commit()
    [job] = _rounds()
    job_runner.run(job.id)
    _, later = _rounds()
    assert later.state == "queued" and later.run_after is not None  # a minute from now
    fresh = _ready(person, "b2")
    uow.commit()
    *_, now = _rounds()
    assert now.id != later.id and now.run_after is None  # not left to wait for the retry
    assert job_runner.run(now.id) == "done"
    db_session.refresh(fresh)
    assert fresh.state == "sent"


def test_a_failed_send_is_retried_by_the_scheduled_round(
        db_session, person, provider, runner):
    scripted = provider(TryLater("busy"))
    notice = _ready(person, "s1")
    uow.commit()  # inline: the round runs at once and the provider is busy
    db_session.refresh(notice)
    assert (notice.state, notice.attempts) == ("pending", 1)
    assert len(_rounds()) == 1  # the inline runner cannot wait: no delayed round
    result = runner.invoke(args=["notices", "schedule"])
    assert "no round queued" in result.output and len(_rounds()) == 1  # not due yet
    db_session.execute(update(Notice).where(Notice.id == notice.id)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    uow.commit()
    result = runner.invoke(args=["notices", "schedule"])
    assert result.exit_code == 0, result.output
    assert "round queued" in result.output
    db_session.refresh(notice)
    assert (notice.state, notice.attempts) == ("sent", 2)
    assert scripted.sent == [notice.out_id]
    second = _rounds()[-1]
    assert (second.state, second.result["sent"]) == ("done", 1)
    assert runner.invoke(args=["notices", "schedule"]).output.strip() == "nothing waiting"


def test_a_worker_s_upkeep_queues_a_round_when_messages_are_due(
        db_session, person, provider, on_queue, app, monkeypatch):
    from portal.jobs.worker import SCHEDULED

    provider()
    monkeypatch.setitem(app.config, "NOTICE_SEND_IN_JOBS", False)  # no round after commit
    _ready(person, "m1")
    uow.commit()
    assert _rounds() == []
    monkeypatch.setitem(app.config, "NOTICE_SEND_IN_JOBS", True)
    assert tasks._upkeep in SCHEDULED
    for _ in range(2):
        with uow.unit_of_work():
            tasks._upkeep()
    [job] = _rounds()  # the second upkeep found it waiting
    assert job.state == "queued" and on_queue == [(job.id, None)]


def test_flask_notices_send_still_sends_by_hand(db_session, person, provider, app,
                                                runner, monkeypatch):
    scripted = provider()
    monkeypatch.setitem(app.config, "NOTICE_SEND_IN_JOBS", False)
    notice = _ready(person, "h1")
    uow.commit()
    result = runner.invoke(args=["notices", "send"])
    assert result.exit_code == 0, result.output
    assert "sent=1" in result.output
    db_session.refresh(notice)
    assert notice.state == "sent" and scripted.sent == [notice.out_id]


def test_a_round_that_leaves_messages_due_asks_for_the_next_at_once(
        db_session, person, provider, on_queue, monkeypatch):
    scripted = provider()
    monkeypatch.setattr(tasks, "ROUND_LIMIT", 1)
    notices = [_ready(person, f"l{n}") for n in range(2)]
    uow.commit()
    [first] = _rounds()
    assert job_runner.run(first.id) == "done"
    first, second = _rounds()
    assert first.result["sent"] == 1 and second.state == "queued"
    assert on_queue[-1] == (second.id, None)  # at once, not later
    assert job_runner.run(second.id) == "done"
    db_session.refresh(second)
    assert second.result["sent"] == 1 and len(_rounds()) == 2
    assert sorted(scripted.sent) == sorted(n.out_id for n in notices)


def test_an_inline_round_goes_on_while_messages_are_due(
        db_session, person, provider, monkeypatch):
    scripted = provider()
    monkeypatch.setattr(tasks, "ROUND_LIMIT", 2)
    notices = [_ready(person, f"i{n}") for n in range(3)]
    uow.commit()
    [job] = _rounds()  # one job, no round queued inside another
    assert job.result["sent"] == 3 and (job.done, job.total) == (3, 3)
    assert sorted(scripted.sent) == sorted(n.out_id for n in notices)
