"""The city dashboard's figure tables, rendered once per summary version and kept.

A dashboard request reads one row per township of `dashboard_refreshes` (a Core query: when
the summary was computed, and whether a change since made it stale); together with the day,
the locale, the active campaign and the settings the tables show, that is the key of the
rendered HTML. A hit serves the kept HTML without loading the summary, the estimates or the
campaign's targets and phases, and without rendering the tables; a miss builds the dashboard
as before, renders the tables and keeps them.

The key changes whenever what the tables show may have changed: the refresh job (or an
inline refresh) writes a new `computed_at`; a change to the rows the figures count, to a
campaign, its phases or targets, to an estimate or to a township or village marks the
summary stale (figures.py), and while it is stale the tables are rendered on each view and
not kept (the change shows at once, before the debounced job has run).

Where they are kept: each web worker keeps its own few entries in memory (least recently used
dropped first). The refresh job renders the tables of the summary it has just computed, for
every locale and both kinds of city viewer, into files under IMPORT_DIR/dashboard_tables
(the disk the web workers and the job worker share); a worker that has not seen a version
yet reads that file instead of rendering, so the first view after a refresh costs no more
than a later one. Nothing personal is kept, only counts and names of places.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import select

from portal.dashboards.models import DashboardRefresh
from portal.extensions import db
from portal.tenancy import Access, scoped

MAX_ENTRIES = 32
KEEP_SECONDS = 3600  # files of earlier versions outlive a refresh this long (views under way)


@dataclass(frozen=True)
class Fragment:
    """Rendered tables and the two figures the rest of the page needs."""

    html: str
    rate: float | None  # the city's holding rate (the campaigns' comparison)
    today: date

    @property
    def total(self) -> Fragment:
        """Read as a Dashboard's total (`total.rate`) by the campaigns' comparison."""
        return self


class FragmentCache:
    """A small least-recently-used map, safe across the threads of one worker."""

    def __init__(self, size: int = MAX_ENTRIES):
        self.size = size
        self._entries: OrderedDict[tuple, Fragment] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Fragment | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple, fragment: Fragment) -> None:
        with self._lock:
            self._entries[key] = fragment
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def cache() -> FragmentCache:
    """The app's cache of rendered dashboard tables."""
    return current_app.extensions.setdefault("dashboard_fragments", FragmentCache())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def summary_states(access: Access, township_ids: list[int]) -> dict[int, tuple]:
    """{township id: (as_of, computed_at, stale)} of the summary, in one Core query."""
    rows = db.session.execute(
        scoped(select(DashboardRefresh.township_id, DashboardRefresh.as_of,
                      DashboardRefresh.computed_at, DashboardRefresh.stale), access)
        .where(DashboardRefresh.township_id.in_(township_ids)))
    return {tid: (as_of, _aware(computed).astimezone(UTC), bool(stale))
            for tid, as_of, computed, stale in rows}


def version(township_ids: list[int], states: dict[int, tuple]) -> tuple | None:
    """The summary's version over `township_ids`, or None while some township has none or is
    stale: then the tables are rendered on each view and not kept, as what they show besides
    the counts (estimates, targets, names) may change again before the refresh."""
    if any(tid not in states or states[tid][2] for tid in township_ids):
        return None
    return tuple((tid, states[tid][0].isoformat(), states[tid][1].isoformat())
                 for tid in township_ids)


def key(scope: str, summary: tuple, today: date, campaign_id: int | None,
        *settings) -> tuple:
    """What the rendered tables depend on besides the summary: the scope, the day, the
    locale, the campaign and the settings shown (deadlines, refresh interval)."""
    return (scope, str(get_locale()), today, campaign_id, summary, *settings)


# --- rendered by the refresh job, for every web worker --------------------------------------

def _directory() -> Path:
    """Where the refresh job leaves the tables it rendered: under IMPORT_DIR, the disk the
    web workers and the job worker share."""
    return Path(current_app.config["IMPORT_DIR"]) / "dashboard_tables"


def _name(key: tuple) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest() + ".json"


def stored(key: tuple) -> Fragment | None:
    """The tables the refresh job rendered for `key`, if it did."""
    try:
        data = json.loads((_directory() / _name(key)).read_text(encoding="utf-8"))
        return Fragment(html=data["html"], rate=data["rate"],
                        today=date.fromisoformat(data["today"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(key: tuple, fragment: Fragment) -> str:
    """Leave the tables for the web workers (written aside, then renamed: a reader never
    sees half a file); returns the file's name."""
    directory = _directory()
    directory.mkdir(parents=True, exist_ok=True)
    name = _name(key)
    aside = directory / f".{name}.{os.getpid()}"
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump({"html": fragment.html, "rate": fragment.rate,
                   "today": fragment.today.isoformat()}, out)
    os.replace(aside, directory / name)
    return name


def prune(keep: set[str]) -> None:
    """Remove the files of earlier versions once no view can still be reading them."""
    limit = time.time() - KEEP_SECONDS
    for path in _directory().glob("*.json"):
        try:
            if path.name not in keep and path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass
