"""Views of the review area: the city's review queue, appeals and overdue work."""

from flask import render_template
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.roles import Permission
from portal.cases.labels import CASE_LABELS
from portal.cases.models import OPEN_STATES, Case
from portal.cases.services import overdue_page
from portal.clock import local_today
from portal.domain.workdays import calendar_covers, workdays_between
from portal.extensions import db
from portal.reference.models import Township
from portal.review import bp
from portal.tenancy import require, scoped

PER_PAGE = 50  # overdue cases a page


def _townships() -> dict[int, Township]:
    return {t.id: t for t in db.session.scalars(select(Township))}


@bp.route("/")
@login_required
@require(Permission.VIEW_CASES)
def queue():
    """Cases under city review across townships, soonest due first, and open appeals."""
    today = local_today()
    cases = db.session.scalars(
        scoped(select(Case)).where(Case.state == "under_review")
        .options(selectinload(Case.person))
        .order_by(Case.review_due_on, Case.id)
    ).all()
    rows = [(c, workdays_between(today, c.review_due_on) if c.review_due_on else None)
            for c in cases]
    appeals = db.session.scalars(
        scoped(select(Case)).where(Case.city_level.is_(True),
                                   Case.state.in_(sorted(OPEN_STATES)))
        .options(selectinload(Case.person)).order_by(Case.id)
    ).all()
    uncovered = sorted({c.review_due_on.year for c in cases
                        if c.review_due_on and not calendar_covers(c.review_due_on)})
    return render_template("review/queue.html", rows=rows, appeals=appeals,
                           townships=_townships(), CASE_LABELS=CASE_LABELS, today=today,
                           uncovered=uncovered)


@bp.route("/overdue")
@login_required
@require(Permission.VIEW_CASES)
def overdue():
    """Cases of every township past a deadline, with their age in working days."""
    page = overdue_page(scoped(select(Case)).options(selectinload(Case.person)), PER_PAGE)
    return render_template("review/overdue.html", items=page.items, page=page,
                           townships=_townships(),
                           CASE_LABELS=CASE_LABELS)
