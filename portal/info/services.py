"""The public information page: its text (Markdown, rendered by markdown-it-py and sanitised
by nh3), its saved versions, and the concentrated days it lists (of the active campaign, and
those of this week by the portal's clock)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import nh3
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.audit.services import record_event
from portal.extensions import db
from portal.info import defaults
from portal.info.models import InfoPage
from portal.labels import LABELS
from portal.reference.models import ConcentratedDay, Township
from portal.reference.services import active_campaign
from portal.rosters.models import CATEGORIES

# What the county's text may contain once sanitised: text structure, links and tables.
ALLOWED_TAGS = {"h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li", "strong", "em", "b", "i",
                "a", "blockquote", "code", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")


def render_markdown(text: str) -> str:
    """The HTML of `text`, with everything outside the allowed tags removed (scripts and
    their content, event handlers, javascript: links, styles, frames)."""
    html = _MARKDOWN.render(text or "")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=URL_SCHEMES, link_rel="noopener noreferrer")


@dataclass
class PageText:
    """What /info says: the saved version, or the defaults when none was saved."""

    title: str
    summary: str
    hotline: str
    body_markdown: str
    body_html: str
    version: InfoPage | None = None


def current_text() -> PageText:
    """The newest saved version of the page, or the default text."""
    saved = db.session.scalars(select(InfoPage).order_by(InfoPage.id.desc()).limit(1)).first()
    if saved is not None:
        return PageText(saved.title, saved.summary, saved.hotline, saved.body_markdown,
                        saved.body_html, saved)
    body = defaults.default_markdown()
    return PageText(str(defaults.TITLE), str(defaults.SUMMARY), "", body,
                    render_markdown(body))


def save_text(*, actor, title: str, summary: str, hotline: str, body: str) -> InfoPage:
    """Save a new version of the page (the old ones are kept) and audit it."""
    page = InfoPage(title=title.strip(), summary=summary.strip(), hotline=hotline.strip(),
                    body_markdown=body, body_html=render_markdown(body),
                    edited_by_id=actor.id)
    db.session.add(page)
    db.session.flush()
    record_event("info.updated", actor=actor, obj=page,
                 details={"title": page.title, "characters": len(body)})
    return page


# --- the concentrated days ---------------------------------------------------------------

@dataclass
class DayLine:
    """One concentrated day as the public sees it."""

    day: date
    township: Township
    hospitals: list[str]
    categories: list[str]
    cancelled: bool


@dataclass
class TownshipDays:
    township: Township
    days: list[DayLine] = field(default_factory=list)


def week_of(today: date) -> tuple[date, date]:
    """Monday and Sunday of the week of `today`."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def _line(day: ConcentratedDay) -> DayLine:
    categories = [str(LABELS["category"][c]) for c in CATEGORIES if day.capacity(c) > 0]
    return DayLine(day.day, day.township, [h.name for h in day.hospitals], categories,
                   day.status == "cancelled")


def _in_schedule():
    """The days of the active campaign and those of no campaign (a township's own); only the
    latter when no campaign is active (never a past campaign's)."""
    campaign = active_campaign()
    no_campaign = ConcentratedDay.campaign_id.is_(None)
    return no_campaign if campaign is None else (
        (ConcentratedDay.campaign_id == campaign.id) | no_campaign)


def _days(*conditions) -> list[DayLine]:
    # Public reference data (dates and places of every township), read for a page without a
    # user, across townships.
    stmt = (select(ConcentratedDay).join(Township, Township.id == ConcentratedDay.township_id)
            .where(_in_schedule(), *conditions)
            .options(selectinload(ConcentratedDay.hospitals),
                     selectinload(ConcentratedDay.township))
            .order_by(ConcentratedDay.day, Township.position, Township.id))
    return [_line(day) for day in db.session.scalars(stmt)]


def days_of_week(today: date) -> list[DayLine]:
    """The concentrated days of the week of `today` (Monday to Sunday), every township."""
    monday, sunday = week_of(today)
    return _days(ConcentratedDay.day >= monday, ConcentratedDay.day <= sunday)


def schedule_by_township(today: date, township_code: str | None = None
                         ) -> list[TownshipDays]:
    """The concentrated days from `today` on, grouped by township in the county's order."""
    conditions = [ConcentratedDay.day >= today]
    if township_code:
        conditions.append(Township.code == township_code)
    groups: dict[int, TownshipDays] = {}
    for line in _days(*conditions):
        groups.setdefault(line.township.id, TownshipDays(line.township)).days.append(line)
    return sorted(groups.values(), key=lambda g: (g.township.position, g.township.id))


def townships() -> list[Township]:
    return list(db.session.scalars(select(Township).order_by(Township.position, Township.id)))
