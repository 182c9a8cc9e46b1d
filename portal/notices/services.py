"""Writing notices into the outbox, and sending them.

`notify()` adds a message in the caller's unit of work: it is saved exactly when the change it
announces is saved, and never without it.

`send_due()` is the worker's round. Each message is claimed in its own short transaction
(pending → sending, with the time), handed to its channel outside any transaction, and recorded
(sent, or back to pending with a later attempt, or failed) in another. A worker that dies
between handing over and recording leaves the message "sending": the next round asks the
channel whether the provider has it (`was_sent`, by the out id sent with it) and records it as
sent, or sends it again only when the provider does not have it. So a restart sends nothing
twice (where the channel can be asked) and loses nothing. No transaction is open while a
provider is asked or handed a message (a job takes SQLite's write lock with each transaction).

The rounds run as jobs (`notices.send`, portal/notices/tasks.py): `notify()` asks for one after
its unit of work commits; `flask notices send` runs the same round by hand.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from portal import uow
from portal.extensions import db
from portal.models_base import utcnow
from portal.notices.channels import GiveUp, TryLater, channel_for
from portal.notices.kinds import check_params, render
from portal.notices.models import Notice, NoticeOptOut
from portal.uow import unit_of_work

SETTINGS = {
    "NOTICE_MAX_ATTEMPTS": 6,
    "NOTICE_RETRY_SECONDS": 60,  # doubled after each failed attempt
    "NOTICE_RETRY_MAX_SECONDS": 6 * 3600,
    "NOTICE_CLAIM_TIMEOUT_SECONDS": 120,
    "NOTICE_DAILY_LIMIT": 3,  # messages per number in 24 hours; more wait, none is dropped
}


def setting(name: str) -> int:
    return int(current_app.config.get(name, SETTINGS[name]))


def recipient_of(person) -> str:
    """Who hears about a person's case: the guardian when there is one, else the person."""
    return (person.guardian_phone or person.phone or "").strip()


def notify(kind: str, *, key: str, params: dict, person=None, case=None,
           township_id: int | None = None, recipient: str | None = None,
           medium: str = "sms") -> Notice:
    """Put a message into the outbox (no commit: the caller's unit of work).

    About a person: `person` (the guardian's number, else the person's). About someone who is
    no person of the rosters (a petitioner): `township_id` and `recipient`. `key` names the
    event (e.g. "case:42:publicity"): the same event never makes two messages. A message with
    nobody to send to is saved as failed, so that it is on the township's call list.
    """
    values = check_params(kind, params)
    dedupe_key = f"{kind}:{key}"
    existing = db.session.scalar(select(Notice).where(Notice.dedupe_key == dedupe_key))
    if existing is not None:
        return existing
    if person is None and township_id is None:
        raise ValueError("a notice needs a person or a township")
    to = (recipient if recipient is not None else recipient_of(person)).strip()
    notice = Notice(township_id=person.township_id if person is not None else township_id,
                    person_id=getattr(person, "id", None), case_id=getattr(case, "id", None),
                    kind=kind, medium=medium, recipient=to, params=values,
                    dedupe_key=dedupe_key, out_id=uuid.uuid4().hex[:32], state="pending",
                    attempts=0, next_attempt_at=utcnow())
    if not to:
        notice.state = "failed"
        notice.last_error = "no_number"
    db.session.add(notice)
    db.session.flush()
    if notice.state == "pending":
        _round_after_commit()
    return notice


def _round_after_commit() -> None:
    """Ask for one round of the outbox (a job) once the caller's unit of work has committed."""
    from portal.notices import tasks

    if tasks.in_jobs():
        uow.after_commit_once(tasks.round_after_commit)


def opted_out(notice: Notice) -> bool:
    return db.session.scalar(select(NoticeOptOut.id).where(
        NoticeOptOut.township_id == notice.township_id,
        NoticeOptOut.recipient == notice.recipient)) is not None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        from datetime import UTC
        return moment.replace(tzinfo=UTC)
    return moment


def _over_limit(notice: Notice, now: datetime) -> datetime | None:
    """When the number has had its messages for the day: the moment the next may go."""
    since = now - timedelta(days=1)
    sent = db.session.scalars(select(Notice.sent_at).where(
        Notice.recipient == notice.recipient, Notice.state == "sent",
        Notice.sent_at > since).order_by(Notice.sent_at)).all()
    if len(sent) < setting("NOTICE_DAILY_LIMIT"):
        return None
    return _aware(sent[0]) + timedelta(days=1)


def backoff(attempts: int) -> timedelta:
    """The wait before attempt `attempts + 1`: doubling from the base, capped."""
    seconds = setting("NOTICE_RETRY_SECONDS") * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, setting("NOTICE_RETRY_MAX_SECONDS")))


def _claim(notice_id: int, now: datetime) -> Notice | None:
    """Take one due message for this worker, or None when another took it or it must wait."""
    with unit_of_work():
        notice = db.session.get(Notice, notice_id)
        if notice is None or notice.state != "pending":
            return None
        if opted_out(notice):
            notice.state = "suppressed"
            notice.last_error = "opted_out"
            return None
        later = _over_limit(notice, now)
        if later is not None:
            notice.next_attempt_at = later
            return None
        taken = db.session.execute(
            update(Notice).where(Notice.id == notice_id, Notice.state == "pending")
            .values(state="sending", claimed_at=now, attempts=Notice.attempts + 1)
            .execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            return None
        db.session.refresh(notice)
        taken = _copy(notice)
    return taken


def _copy(notice: Notice) -> Notice:
    """The message's values in an object of no session: read while a provider is asked or
    handed it, outside any transaction (the session's own object expires at the commit)."""
    return Notice(**{column.key: getattr(notice, column.key)
                     for column in Notice.__table__.columns})


def _record(notice_id: int, now: datetime, *, ref: str | None = None,
            retry: str | None = None, final: str | None = None) -> None:
    with unit_of_work():
        notice = db.session.get(Notice, notice_id)
        if ref is not None:
            notice.state, notice.sent_at, notice.provider_ref = "sent", now, ref[:80]
            notice.last_error = ""
        elif final is not None or notice.attempts >= setting("NOTICE_MAX_ATTEMPTS"):
            notice.state, notice.last_error = "failed", (final or retry or "")[:200]
        else:
            notice.state, notice.last_error = "pending", (retry or "")[:200]
            notice.next_attempt_at = now + backoff(notice.attempts)
        notice.claimed_at = notice.claimed_at if ref is not None else None


def recover_stale(now: datetime) -> int:
    """Messages a dead worker left "sending": sent if the provider has them, else due again."""
    cutoff = now - timedelta(seconds=setting("NOTICE_CLAIM_TIMEOUT_SECONDS"))
    with unit_of_work():  # read, then ask the providers outside any transaction
        stale = [_copy(notice) for notice in db.session.scalars(select(Notice).where(
            Notice.state == "sending", Notice.claimed_at < cutoff))]
    recovered = 0
    for asked in stale:
        answer = channel_for(asked.medium).was_sent(asked)
        with unit_of_work():
            notice = db.session.get(Notice, asked.id)
            if notice.state != "sending" or notice.claimed_at != asked.claimed_at:
                continue  # another round recovered it meanwhile
            recovered += 1
            if answer is True:
                notice.state, notice.sent_at = "sent", now
                notice.last_error = ""
            else:
                # The provider does not have it (or cannot say): it goes again.
                notice.state, notice.next_attempt_at = "pending", now
                notice.last_error = "resent_after_restart" if answer is None else ""
    return recovered


def send_due(now: datetime | None = None, limit: int = 100,
             progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """One round of the worker; returns how many messages went, waited or failed.
    `progress(done, total)` hears after each due message (sent, deferred or failed)."""
    now = now or utcnow()
    counts = {"recovered": recover_stale(now), "sent": 0, "retry": 0, "failed": 0}
    due = db.session.scalars(select(Notice.id).where(
        Notice.state == "pending", Notice.next_attempt_at <= now)
        .order_by(Notice.next_attempt_at, Notice.id).limit(limit)).all()
    report = progress or (lambda done, total: None)
    report(0, len(due))
    for done, notice_id in enumerate(due, 1):
        notice = _claim(notice_id, now)
        if notice is None:
            report(done, len(due))
            continue
        try:
            ref = channel_for(notice.medium).send(notice, render(notice.kind, notice.params))
        except GiveUp as error:
            _record(notice_id, now, final=str(error))
            counts["failed"] += 1
        except TryLater as error:
            _record(notice_id, now, retry=str(error))
            counts["retry"] += 1
        else:
            _record(notice_id, now, ref=ref)
            counts["sent"] += 1
        report(done, len(due))
    return counts


def next_due() -> datetime | None:
    """When the outbox next has work: the earliest message waiting for its time (a retry's
    backoff, the daily limit), or a claim that would then be stale (a dead round's)."""
    waiting = db.session.scalar(select(func.min(Notice.next_attempt_at)).where(
        Notice.state == "pending"))
    claimed = db.session.scalar(select(func.min(Notice.claimed_at)).where(
        Notice.state == "sending"))
    moments = [_aware(waiting)] if waiting is not None else []
    if claimed is not None:
        moments.append(_aware(claimed)
                       + timedelta(seconds=setting("NOTICE_CLAIM_TIMEOUT_SECONDS") + 1))
    return min(moments, default=None)


def backlog() -> int:
    """Messages waiting to go (for the metrics and the worker's log)."""
    return db.session.scalar(select(func.count(Notice.id)).where(
        Notice.state.in_(("pending", "sending")))) or 0
