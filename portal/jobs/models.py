"""The record of one background job: what to do, how far it came, how it ended."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_base import utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)


class Job(db.Model):
    """One job: its kind and arguments (ids and codes, never personal data), its state, its
    progress and heartbeat while it runs, and its result or the code of its error.

    The row is the truth every web worker reads; the queue (Redis) only carries its id.
    `attempts` counts the runs started: a run may finish the job only while it is the latest
    one (a run thought dead that wakes up later changes nothing).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_state_heartbeat", "state", "heartbeat_at"),
        Index("ix_jobs_kind_key_state", "kind", "key", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    args: Mapped[dict] = mapped_column(JSON, default=dict)
    # What the job is about, for finding its latest run (e.g. "import_job:42").
    key: Mapped[str] = mapped_column(String(120), default="")
    # Empty for a city-wide job (the county's holder list, the city's figures).
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(10), default=QUEUED)
    phase: Mapped[str] = mapped_column(String(20), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict | None] = mapped_column(JSON)
    # A code (see portal/jobs/words.py), never an exception's text (it may quote values).
    error: Mapped[str] = mapped_column(String(60), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Which process runs it ("host:pid"), for the operator.
    runner: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Not before this moment (a debounced job waits for the changes to settle).
    run_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def percent(self) -> int:
        if self.state == DONE:
            return 100
        return min(int(self.done * 100 / self.total), 100) if self.total else 0

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state}>"
