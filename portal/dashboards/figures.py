"""Dashboard figures: grouped queries into `dashboard_figures`, refreshed when stale."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import and_, case, delete, event, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from portal.cases.models import Case
from portal.certificates.models import Certificate, Handover
from portal.certificates.services import overdue_certificate_counts
from portal.dashboards.models import DashboardFigure, DashboardRefresh
from portal.extensions import db
from portal.register.models import HolderEntry
from portal.rosters.models import Person, RosterEntry
from portal.tenancy import Access, scoped

PERSON_KEYS = ("persons", "certified", "expired_roster", "renewed", "poverty",
               "poverty_uncertified", "poverty_renewal", "poverty_renewed")
OVERDUE_KINDS = ("publicity", "review", "print", "dispatch", "receipt", "handover", "petitions")
# Petitions (信访) are not recorded by the portal yet: shown as 0, marked "not yet tracked".
UNTRACKED_OVERDUE = frozenset({"petitions"})
DRILL_DOWNS = ("poverty_uncertified", "renewal_pending", "poverty_renewal_pending")


# --- definitions as SQL ---------------------------------------------------------------------

def _handed_over_valid(today: date):
    """SELECT of person ids holding a portal certificate handed over, valid on `today` (a
    void card was replaced by a new card of the same certificate: still held meanwhile; a
    cancelled certificate is held nowhere)."""
    return (select(Certificate.person_id)
            .join(Handover, Handover.certificate_id == Certificate.id)
            .where(Certificate.status.in_(("valid", "void")), Certificate.expires_on > today))


def _register_valid(entry, today: date):
    # Spelled out for NULL (no entry), so that NOT(certified) is true for persons without
    # any card. Entries made by a handover count through their certificate (which may have
    # been cancelled since).
    return and_(entry.id.is_not(None), entry.expires_on > today, entry.source != "handover")


def counted_person():
    """SQL condition on Person: counted in the county's figures (alive, not moved out of the
    county; a person moved to another township counts there, by their row's township)."""
    return and_(Person.deceased.is_(False), Person.left_county_on.is_(None))


def certified_condition(today: date):
    """SQL condition on Person: holds a currently valid certificate on `today` (correlated,
    for lists that stop after one page)."""
    handed_over = _handed_over_valid(today).where(Certificate.person_id == Person.id).exists()
    in_register = (select(HolderEntry.id)
                   .where(HolderEntry.person_id == Person.id,
                          _register_valid(HolderEntry, today)).exists())
    return and_(counted_person(), or_(in_register, handed_over))


def renewal_cutoff(today: date) -> date:
    """The day by which a poverty-registered holder's certificate must have expired for the
    plan to require its renewal: the active campaign's start (its first phase), else `today`."""
    from portal.campaigns.services import active_campaign

    campaign = active_campaign()
    starts = [phase.starts_on for phase in campaign.phases] if campaign else []
    return min(starts) if starts else today


def _expired_by(entry, cutoff: date):
    """Held a certificate expired on `cutoff`: the register's entry, the certificate it
    replaced, or the certificate recorded on the person (the expired roster's)."""
    return or_(entry.expires_on <= cutoff, entry.replaced_expires_on <= cutoff,
               Person.certificate_expires_on <= cutoff)


def poverty_renewal_condition(cutoff: date):
    """SQL condition on Person: a poverty-registered holder of an expired certificate whom the
    plan requires renewed (renewed when certified again)."""
    expired_entry = (select(HolderEntry.id)
                     .where(HolderEntry.person_id == Person.id,
                            or_(HolderEntry.expires_on <= cutoff,
                                HolderEntry.replaced_expires_on <= cutoff)).exists())
    return and_(counted_person(), Person.poverty_registered.is_(True),
                or_(on_expired_roster(), expired_entry, Person.certificate_expires_on <= cutoff))


def on_expired_roster():
    """SQL condition on Person: listed on the expired-certificate roster (附件1)."""
    return (select(RosterEntry.id)
            .where(RosterEntry.person_id == Person.id, RosterEntry.list_kind == "expired")
            .exists())


def drill_down_condition(kind: str, today: date):
    """SQL condition on Person of one drill-down list of the dashboard."""
    certified = certified_condition(today)
    alive = counted_person()
    if kind == "poverty_uncertified":
        return and_(alive, Person.poverty_registered.is_(True), ~certified)
    if kind == "renewal_pending":
        return and_(alive, on_expired_roster(), ~certified)
    if kind == "poverty_renewal_pending":
        return and_(poverty_renewal_condition(renewal_cutoff(today)), ~certified)
    raise ValueError(kind)


def _flag(condition):
    return func.sum(case((condition, 1), else_=0))


# --- computing the summary -----------------------------------------------------------------

def _person_figures(access: Access, township_ids: list[int], today: date) -> list[dict]:
    # Every person is counted, so the two lookups are outer joins to derived tables that
    # PostgreSQL hashes once; a correlated EXISTS (or an IN too large to hash) per person made
    # this query quadratic-looking at a million persons.
    held = _handed_over_valid(today).distinct().subquery("held")
    expired = (select(RosterEntry.person_id)
               .where(RosterEntry.list_kind == "expired").distinct().subquery("expired"))
    entry = aliased(HolderEntry, name="entry")  # at most one per person
    certified = or_(_register_valid(entry, today), held.c.person_id.is_not(None))
    on_expired = expired.c.person_id.is_not(None)
    poverty = Person.poverty_registered.is_(True)
    must_renew = and_(poverty, or_(on_expired, _expired_by(entry, renewal_cutoff(today))))
    stmt = (
        scoped(select(
            Person.township_id, Person.village_id,
            func.count().label("persons"),
            _flag(certified).label("certified"),
            _flag(on_expired).label("expired_roster"),
            _flag(and_(on_expired, certified)).label("renewed"),
            _flag(poverty).label("poverty"),
            _flag(and_(poverty, ~certified)).label("poverty_uncertified"),
            _flag(must_renew).label("poverty_renewal"),
            _flag(and_(must_renew, certified)).label("poverty_renewed"),
        ), access)
        .outerjoin(held, held.c.person_id == Person.id)
        .outerjoin(entry, entry.person_id == Person.id)
        .outerjoin(expired, expired.c.person_id == Person.id)
        .where(Person.township_id.in_(township_ids), counted_person())
        .group_by(Person.township_id, Person.village_id)
    )
    rows = []
    for row in db.session.execute(stmt):
        for key in PERSON_KEYS:
            rows.append({"township_id": row.township_id, "village_id": row.village_id,
                         "family": "persons", "key": key, "value": int(getattr(row, key) or 0)})
    return rows


def _case_figures(access: Access, township_ids: list[int]) -> list[dict]:
    stmt = (
        scoped(select(Case.township_id, Case.state, Case.path, func.count()), access)
        .where(Case.township_id.in_(township_ids))
        .group_by(Case.township_id, Case.state, Case.path)
    )
    return [{"township_id": tid, "village_id": None, "family": "cases",
             "key": f"{state}:{path}", "value": count}
            for tid, state, path, count in db.session.execute(stmt)]


def _origin_figures(access: Access, township_ids: list[int]) -> list[dict]:
    """Cases of every state by how they came about: found by the survey, or on their own
    (walk-in, hospital booking)."""
    stmt = (
        scoped(select(Case.township_id, Case.origin, func.count()), access)
        .where(Case.township_id.in_(township_ids))
        .group_by(Case.township_id, Case.origin)
    )
    return [{"township_id": tid, "village_id": None, "family": "origins", "key": origin,
             "value": count}
            for tid, origin, count in db.session.execute(stmt)]


def overdue_case_kind(today: date):
    """SQL expression naming the overdue kind of a case (publicity, review), else NULL."""
    return case(
        (and_(Case.state == "publicity", Case.publicity_ends_on < today), "publicity"),
        (and_(Case.state == "under_review", Case.review_due_on < today), "review"),
        else_=None,
    )


def _overdue_figures(access: Access, township_ids: list[int], today: date) -> list[dict]:
    kind = overdue_case_kind(today).label("kind")
    cases = (
        scoped(select(Case.township_id, kind, func.count()), access)
        .where(Case.township_id.in_(township_ids),
               Case.state.in_(("publicity", "under_review")))
        .group_by(Case.township_id, kind)
    )
    counts: dict[tuple[int, str], int] = {}
    for tid, name, count in db.session.execute(cases):
        if name:
            counts[(tid, name)] = count
    for tid, name, count in _certificate_overdue(access, township_ids, today):
        counts[(tid, name)] = counts.get((tid, name), 0) + count
    return [{"township_id": tid, "village_id": None, "family": "overdue", "key": name,
             "value": count} for (tid, name), count in counts.items()]


# The certificate area's overdue kinds, named as the dashboard names them.
CERTIFICATE_OVERDUE = {"not_printed": "print", "not_dispatched": "dispatch",
                       "not_received": "receipt", "not_handed_over": "handover"}


def _certificate_overdue(access: Access, township_ids: list[int],
                         today: date) -> list[tuple[int, str, int]]:
    """Approved not printed, printed not sent, sent not acknowledged, received not handed over
    (no withholding), as the certificate area counts them, per township."""
    wanted = set(township_ids)
    return [(tid, CERTIFICATE_OVERDUE[kind], n)
            for tid, counter in overdue_certificate_counts(access, today).items()
            if tid in wanted for kind, n in counter.items()]


# Figure families of other areas shown on the dashboards (the expiring certificates), computed
# with the others so that a dashboard page only reads: (access, township ids, today) -> rows.
FAMILIES: list[Callable[[Access, list[int], date], list[dict]]] = []


def figure_family(compute: Callable[[Access, list[int], date], list[dict]]):
    """Register an area's figure family (rows of township_id, village_id, family, key, value;
    its counts must move only with the models whose change marks the figures stale)."""
    FAMILIES.append(compute)
    return compute


def read_family(access: Access, family: str, township_ids: list[int]) -> dict[int, dict]:
    """{township id: {key: value}} of one family as last computed."""
    out: dict[int, dict] = {}
    for tid, key, value in db.session.execute(
            scoped(select(DashboardFigure.township_id, DashboardFigure.key,
                          DashboardFigure.value), access)
            .where(DashboardFigure.family == family,
                   DashboardFigure.township_id.in_(township_ids))):
        out.setdefault(tid, {})[key] = value
    return out


def refresh_figures(access: Access, township_ids: list[int], today: date) -> None:
    """Recompute the summary of `township_ids` as of `today` (one grouped query per family)."""
    if not township_ids:
        return
    ids = sorted(township_ids)
    rows = (_person_figures(access, ids, today) + _case_figures(access, ids)
            + _origin_figures(access, ids) + _overdue_figures(access, ids, today))
    for compute in FAMILIES:
        rows += compute(access, ids, today)
    db.session.execute(delete(DashboardFigure).where(DashboardFigure.township_id.in_(ids)))
    if rows:
        db.session.execute(insert(DashboardFigure), rows)
    now = datetime.now(UTC)
    known = set(db.session.scalars(
        select(DashboardRefresh.township_id).where(DashboardRefresh.township_id.in_(ids))))
    db.session.execute(update(DashboardRefresh).where(DashboardRefresh.township_id.in_(ids))
                       .values(as_of=today, computed_at=now, stale=False))
    for tid in ids:
        if tid in known:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(DashboardRefresh(township_id=tid, as_of=today, computed_at=now))
        except IntegrityError:  # another request refreshed the same township meanwhile
            pass
    db.session.flush()


def mark_stale(township_id: int) -> None:
    """Ask for the township's figures to be recomputed at the next dashboard view."""
    db.session.execute(update(DashboardRefresh)
                       .where(DashboardRefresh.township_id == township_id)
                       .values(stale=True))


def due_of(states: dict[int, tuple], township_ids: list[int], today: date,
           max_age_seconds: int) -> list[int]:
    """The townships of `states` (fragments.summary_states) whose figures are missing,
    stale, of another day or too old."""
    now = datetime.now(UTC)
    return [tid for tid in township_ids
            if tid not in states or states[tid][2] or states[tid][0] != today
            or (now - states[tid][1]).total_seconds() >= max_age_seconds]


def ensure_fresh(access: Access, township_ids: list[int], today: date, max_age_seconds: int,
                 states: dict[int, tuple] | None = None) -> datetime | None:
    """Refresh the townships whose figures are missing, stale, of another day or too old;
    returns when the oldest figures shown were computed."""
    from portal.dashboards.fragments import summary_states

    now = datetime.now(UTC)
    if states is None:
        states = summary_states(access, township_ids)
    due = due_of(states, township_ids, today, max_age_seconds)
    if due:
        from portal.dashboards.refresh_jobs import refreshed_by_jobs

        if refreshed_by_jobs(max_age_seconds):  # a job computes them; the page only reads
            due = []
        else:
            refresh_figures(access, due, today)
    kept = [states[tid][1] for tid in township_ids if tid in states and tid not in due]
    return min(kept + ([now] if due else []), default=None)


# Rows whose change moves a township's figures. Bulk imports write through the driver, so
# their audit event ("roster.imported", added through the ORM) stands for the rows.
_FIGURE_MODELS = (Person, RosterEntry, Case, Certificate, Handover, HolderEntry)


ALL = 0  # in the touched set: every township (what the tables show of all of them changed)


def _models_of_all():
    """Rows shown on the dashboards besides the counts, whose change concerns every township:
    the campaign, its phases and targets (targets, deadlines), the estimates (the default
    shares and the ranking move together) and the townships (names, order)."""
    from portal.dashboards.models import TownshipEstimate
    from portal.reference.models import (
        Campaign,
        CampaignPhase,
        CampaignTarget,
        Township,
    )

    return (Campaign, CampaignPhase, CampaignTarget, TownshipEstimate, Township)


def _touched_townships(session) -> set[int]:
    from portal.audit.models import AuditEvent
    from portal.reference.models import Village

    every = _models_of_all()
    touched: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, every):
            touched.add(ALL)
        elif isinstance(obj, (*_FIGURE_MODELS, Village)) and obj.township_id or (
                isinstance(obj, AuditEvent) and obj.township_id
                and obj.action == "roster.imported"):
            touched.add(obj.township_id)
    return touched


@event.listens_for(Session, "before_flush")
def _remember_touched(session, flush_context, instances):
    session.info.setdefault("dashboard_touched", set()).update(_touched_townships(session))


@event.listens_for(Session, "after_flush")
def _mark_touched_stale(session, flush_context):
    touched = session.info.pop("dashboard_touched", set())
    if not touched:
        return
    stmt = update(DashboardRefresh).values(stale=True)
    if ALL not in touched:
        stmt = stmt.where(DashboardRefresh.township_id.in_(sorted(touched)))
    session.connection().execute(stmt)
