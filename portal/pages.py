"""One way to page a list: the page number from the query string, one extra row to tell if
another page follows (no count of the whole list), and an optional total counted only up to a
cap. Templates draw every pager with `pager()` from templates/_macros/lists.html."""
from dataclasses import dataclass

from flask import request
from sqlalchemy import func, select

from portal.extensions import db


@dataclass
class Page:
    """One page of a list. `link_args` gives the query arguments of the neighbouring pages;
    a keyset page also carries the id of the row next to them (`after` / `before`)."""

    number: int
    per_page: int
    items: list
    has_next: bool
    has_prev: bool = False
    total: int | None = None
    capped: bool = False
    keyset: bool = False

    def link_args(self, direction: str) -> dict:
        if direction == "next":
            args = {"page": self.number + 1}
            if self.keyset:
                args["after"] = self.items[-1].id
            return args
        args = {"page": self.number - 1}
        if self.keyset:
            args["before"] = self.items[0].id
        return args


def page_number() -> int:
    """The page asked for in the query string (`page`), at least 1."""
    return max(request.args.get("page", 1, type=int), 1)


def link_args(paging=("page",)) -> dict:
    """The list's filters from the query string, without the paging arguments, for the pager's
    links (only what the filter form put there, never anything typed elsewhere)."""
    return {k: v for k, v in request.args.items() if k not in paging and v}


def paginate(stmt, per_page: int, number: int | None = None, *, rows: bool = False) -> Page:
    """Page `number` (default: the query string's) of an ordered statement. Scalars by default;
    `rows=True` keeps whole result rows (a statement selecting several entities)."""
    number = page_number() if number is None else max(number, 1)
    query = stmt.limit(per_page + 1).offset((number - 1) * per_page)
    found = db.session.execute(query).all() if rows else db.session.scalars(query).all()
    return Page(number, per_page, list(found[:per_page]), has_next=len(found) > per_page,
                has_prev=number > 1)


def capped_count(stmt, column, cap: int) -> int:
    """How many rows `stmt` has, counting stops at cap + 1: the cost stays flat however large
    the list is. A result above `cap` means "more than cap"."""
    counted = stmt.with_only_columns(column).order_by(None).limit(cap + 1).subquery()
    return db.session.execute(select(func.count()).select_from(counted)).scalar_one()
