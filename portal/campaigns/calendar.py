"""Which planned dates fall on a weekend or a public holiday (China's official calendar, from
`chinesecalendar`). The calendar only knows the years the State Council had published when the
package was released: for another year only weekends are pointed out, with a notice saying so."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import chinese_calendar
from flask_babel import lazy_gettext as _l

from portal.domain.workdays import calendar_covers

# chinesecalendar's holiday names, shown in the interface's language.
HOLIDAY_NAMES = {
    "New Year's Day": _l("New Year's Day"),
    "Spring Festival": _l("Spring Festival"),
    "Tomb-sweeping Day": _l("Tomb-sweeping Day"),
    "Labour Day": _l("Labour Day"),
    "Dragon Boat Festival": _l("Dragon Boat Festival"),
    "National Day": _l("National Day"),
    "Mid-autumn Festival": _l("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": _l("Victory Day (70th anniversary)"),
}


@dataclass(frozen=True)
class DateNotice:
    """One planned date that is not a working day: `kind` is weekend or holiday."""

    what: str  # what the date is, e.g. "集中办证阶段 starts" (built by the caller)
    day: date
    kind: str
    holiday: str = ""


def day_kind(day: date) -> tuple[str | None, str]:
    """(None, "") on a working day; ("holiday", name) or ("weekend", "") otherwise.
    A make-up working Saturday or Sunday (调休) counts as a working day."""
    if calendar_covers(day):
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if not on_holiday:
            return None, ""
        if name:
            return "holiday", str(HOLIDAY_NAMES.get(name, name))
        return "weekend", ""
    return ("weekend", "") if day.weekday() >= 5 else (None, "")


def date_notices(dates: list[tuple[str, date]]) -> tuple[list[DateNotice], list[int]]:
    """The weekends and holidays among `dates` (label, day), in date order, and the years the
    official calendar does not know (for which only weekends were checked)."""
    notices = []
    unknown: set[int] = set()
    for what, day in dates:
        if not calendar_covers(day):
            unknown.add(day.year)
        kind, name = day_kind(day)
        if kind:
            notices.append(DateNotice(what, day, kind, name))
    return sorted(notices, key=lambda n: (n.day, n.what)), sorted(unknown)
