"""The kinds of job the portal knows: each area registers its own with `job_kind`.

A kind's function does the work inside the runner's unit of work (it changes the session,
never commits) and returns a small result (counts, ids: no personal data), or raises. A kind
may name what to do when a run of it has failed (`on_failure`, e.g. mark the upload failed),
in the unit of work that records the failure, and before it is queued again (`before_retry`,
e.g. mark the upload importing again; it may refuse with `Refused`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from portal.jobs.models import Job


class Progress(Protocol):
    def __call__(self, phase: str, done: int, total: int) -> None: ...


@dataclass(frozen=True)
class Kind:
    name: str
    run: Callable[[Job, Progress], dict | None]
    on_failure: Callable[[Job], None] | None = None
    before_retry: Callable[[Job], None] | None = None


KINDS: dict[str, Kind] = {}


def job_kind(name: str, on_failure: Callable[[Job], None] | None = None,
             before_retry: Callable[[Job], None] | None = None):
    """Register the decorated function as the work of jobs of kind `name`."""

    def register(fn: Callable[[Job, Progress], dict | None]):
        if name in KINDS and KINDS[name].run is not fn:
            raise ValueError(f"job kind {name!r} is registered twice")
        KINDS[name] = Kind(name, fn, on_failure, before_retry)
        return fn

    return register


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise LookupError(f"no job kind {name!r}: is its module imported by its area?") from None
