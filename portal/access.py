"""Who sees which rows: one access policy per model, in this one module, read top to bottom.

A policy names, for each role, the rows of a model that the role sees in one township:
`EVERY` row, or a condition built from the user's own links (villages, guardianships,
assignments). The rules of a user holding several roles add up. A role a policy does not name
sees nothing of that model, and `scoped()` refuses a model that has no policy at all, so a new
table is invisible until somebody writes down who may see it.

What `EVERY` means depends on where the user stands: inside a township (`/t/<code>/`) it is
every row of that township; for a city role outside one, every row of every township; in a
cross-township workspace of an assignment role (a doctor's or a guardian's own pages) it is
nothing, because such a workspace shows only what the user is linked to.

The township filter itself is added by `portal.tenancy.scoped()` for every model whose policy is
`tenant=True`; the conditions here only narrow within it. On PostgreSQL, row-level security on
the same tables is the second wall (see `portal/rls.py`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, false, not_, or_, select, true

from portal.auth.roles import CITY_ROLES, Role
from portal.models import (
    AccountabilityRecord,
    Assessment,
    AssessmentBatch,
    AssistanceUnit,
    AssistanceUnitTownship,
    AuditEvent,
    BatchMember,
    BatchTownship,
    CadreContact,
    Case,
    CaseEvent,
    Certificate,
    CertificateRequest,
    ConcentratedDay,
    DashboardFigure,
    DashboardRefresh,
    DayAssignment,
    DispatchBatch,
    Evidence,
    GuardianInvite,
    Guardianship,
    GuardianUpload,
    Handover,
    HolderEntry,
    HomeVisit,
    HomeVisitMember,
    ImportJob,
    Job,
    Membership,
    Notice,
    NoticeOptOut,
    Objection,
    Person,
    Petition,
    PetitionAttachment,
    PetitionEvent,
    PetitionExtension,
    PovertyAssignment,
    PrintBatch,
    Reprint,
    RequestDocument,
    RequestEvent,
    RosterEntry,
    RosterReport,
    SecondReview,
    SupervisionNotice,
    TownshipEstimate,
    Transfer,
    VideoConsent,
    VideoMedia,
    VideoSession,
    Village,
)

if TYPE_CHECKING:
    from portal.tenancy import Access

R = Role
EVERY = "every row"
Rule = Callable[["Access"], ColumnElement[bool]] | str


class NoAccessPolicy(LookupError):
    """A query of a model that nobody has written an access policy for."""


@dataclass(frozen=True)
class Policy:
    rules: Mapping[Role, Rule]
    # False for the city's own tables whose township_id may be empty (audit, print batches).
    tenant: bool = True
    why: str = field(default="", compare=False)

    def condition(self, access: Access) -> ColumnElement[bool]:
        """The rows `access` may see, within the township filter `scoped()` adds."""
        conditions = []
        for role in sorted(access.roles):
            rule = self.rules.get(role)
            if rule is None:
                continue
            if rule == EVERY:
                if access.township is not None or role in CITY_ROLES:
                    return true()
                continue  # a cross-township workspace sees only what it is linked to
            conditions.append(rule(access))
        return or_(*conditions) if conditions else false()


POLICIES: dict[type, Policy] = {}


def policy_for(model) -> Policy:
    try:
        return POLICIES[model]
    except KeyError:
        raise NoAccessPolicy(f"no access policy for {model.__name__}: add one to "
                             "portal/access.py") from None


def _register(model, why: str, tenant: bool = True, **rules: Rule) -> None:
    POLICIES[model] = Policy({Role(name): rule for name, rule in rules.items()}, tenant, why)


def inherit(parent, column) -> Mapping[str, Rule]:
    """Rules of a child row: each role sees it exactly when it sees the parent row."""
    parent_rules = POLICIES[parent].rules

    def through(rule):
        if rule == EVERY:
            return EVERY
        return lambda access: column.in_(select(parent.id).where(rule(access)))

    return {role.value: through(rule) for role, rule in parent_rules.items()}


CITY_READS_ALL = {R.CITY_ADMIN.value: EVERY, R.SUPERVISOR.value: EVERY,
                  R.HEALTH_COORDINATOR.value: EVERY}


# --- The links of the assignment roles, each written once ---------------------------------

def guarded_person_ids(user_id: int):
    """People a guardian acts for (a guardianship the township ended no longer counts)."""
    return select(Guardianship.person_id).where(Guardianship.user_id == user_id,
                                                Guardianship.ended_at.is_(None))


def doctor_case_ids(user_id: int):
    """Cases a doctor assesses, reviews as the second doctor, or visits as a team member."""
    on_team = (select(HomeVisit.case_id)
               .join(HomeVisitMember, HomeVisitMember.visit_id == HomeVisit.id)
               .where(HomeVisitMember.user_id == user_id))
    return select(Case.id).where(or_(Case.doctor_id == user_id, Case.second_doctor_id == user_id,
                                     Case.id.in_(on_team)))


def assigned_person_ids(user_id: int):
    """Poverty-registered households assigned to a poverty-relief cadre."""
    return select(PovertyAssignment.person_id).where(PovertyAssignment.user_id == user_id,
                                                      PovertyAssignment.ended_on.is_(None))


def _in_villages(column):
    return lambda access: column.in_(sorted(access.village_ids) or [-1])


# --- Reference data of a township: everybody who works there ------------------------------

EVERYONE_THERE = {role.value: EVERY for role in Role}

_register(Village, "village names of the township", **EVERYONE_THERE)
_register(ConcentratedDay, "dates, places and capacities of the assessment days",
          **EVERYONE_THERE)

# --- People and the survey lists ----------------------------------------------------------

_register(
    Person, "a person is seen by the township and by those linked to them",
    **CITY_READS_ALL,
    township_staff=EVERY,
    village_liaison=_in_villages(Person.village_id),
    guardian=lambda a: Person.id.in_(guarded_person_ids(a.user_id)),
    doctor=lambda a: Person.id.in_(
        select(Case.person_id).where(Case.id.in_(doctor_case_ids(a.user_id)))),
    poverty_cadre=lambda a: Person.id.in_(assigned_person_ids(a.user_id)),
)
_register(RosterEntry, "an entry of the survey lists goes with its person",
          **inherit(Person, RosterEntry.person_id))
_register(HolderEntry, "a holder's register entry goes with its person",
          **inherit(Person, HolderEntry.person_id))
_register(
    Guardianship, "who acts for whom: the township, the person's liaison, the guardian",
    **CITY_READS_ALL,
    township_staff=EVERY,
    village_liaison=lambda a: Guardianship.person_id.in_(
        select(Person.id).where(_in_villages(Person.village_id)(a))),
    guardian=lambda a: (Guardianship.user_id == a.user_id) & Guardianship.ended_at.is_(None),
)
_register(PovertyAssignment, "a cadre sees their own households' assignments",
          **CITY_READS_ALL, township_staff=EVERY,
          poverty_cadre=lambda a: PovertyAssignment.user_id == a.user_id)
_register(CadreContact, "a cadre's contacts: the cadre, the township office and the city",
          **CITY_READS_ALL, township_staff=EVERY,
          poverty_cadre=lambda a: CadreContact.user_id == a.user_id)
_register(RosterReport, "a submitted list holds everybody on it: township and city only",
          **CITY_READS_ALL, township_staff=EVERY)
_register(ImportJob, "an uploaded roster holds everybody on it: those who import only",
          city_admin=EVERY, township_staff=EVERY)

# --- Cases and what belongs to a case -----------------------------------------------------

_register(
    Case, "a case is seen by the township, its doctors, and those who see its person",
    **CITY_READS_ALL,
    township_staff=EVERY,
    village_liaison=lambda a: Case.person_id.in_(
        select(Person.id).where(_in_villages(Person.village_id)(a))),
    guardian=lambda a: Case.person_id.in_(guarded_person_ids(a.user_id)),
    doctor=lambda a: Case.id.in_(doctor_case_ids(a.user_id)),
    poverty_cadre=lambda a: Case.person_id.in_(assigned_person_ids(a.user_id)),
)
for _model in (CaseEvent, Assessment, DayAssignment, GuardianInvite, GuardianUpload,
               VideoSession, Evidence, Certificate):
    _register(_model, "a row of a case is seen with its case",
              **inherit(Case, _model.case_id))
# Who objected and how to reach them: only those who check objections and the city above them.
_register(Objection, "an objection names who objected: the township office and the city",
          city_admin=EVERY, supervisor=EVERY, township_staff=EVERY)
_register(SecondReview, "a second review goes with its assessment",
          **inherit(Assessment, SecondReview.assessment_id))
_register(VideoConsent, "a consent goes with its video session",
          **inherit(VideoSession, VideoConsent.session_id))
_register(VideoMedia, "a recording's measurements go with its video session",
          **inherit(VideoSession, VideoMedia.session_id))

def _home_visit_rules() -> Mapping[str, Rule]:
    """A visit is seen with its case; a doctor also sees every visit whose team they are on."""
    rules = dict(inherit(Case, HomeVisit.case_id))
    through_case = rules[R.DOCTOR.value]
    rules[R.DOCTOR.value] = lambda a: or_(through_case(a), HomeVisit.id.in_(
        select(HomeVisitMember.visit_id).where(HomeVisitMember.user_id == a.user_id)))
    return rules


_register(HomeVisit, "a visit is seen with its case, and by every member of its team",
          **_home_visit_rules())
_register(HomeVisitMember, "a team row goes with its visit",
          **inherit(HomeVisit, HomeVisitMember.visit_id))

# --- Organised batches (分批鉴定) and the assistance units ---------------------------------
# A batch may span the townships an assistance unit helps: inside a township it is seen when
# that township is one of its townships (or made it), and of its persons only the township's
# own (the members are that township's rows); city-wide, every batch.

def _batch_townships(access: Access) -> ColumnElement[bool]:
    if access.township is None:
        return true() if access.city_wide else false()
    return or_(AssessmentBatch.made_in_id == access.township.id, AssessmentBatch.id.in_(
        select(BatchTownship.batch_id).where(BatchTownship.township_id == access.township.id)))


def _units_helping(access: Access) -> ColumnElement[bool]:
    if access.township is None:
        return true() if access.city_wide else false()
    return or_(AssistanceUnit.kept_by_id == access.township.id, AssistanceUnit.id.in_(
        select(AssistanceUnitTownship.unit_id)
        .where(AssistanceUnitTownship.township_id == access.township.id)))


# Not `tenant`: a batch belongs to all its townships (row-level security says the same,
# migration 6b1d0e4f2a97).
def _cadre_batch_members(access: Access):
    """The batch places of the persons assigned to a poverty-relief cadre."""
    return select(BatchMember.id).where(BatchMember.case_id.in_(
        select(Case.id).where(Case.person_id.in_(assigned_person_ids(access.user_id)))))


_register(AssessmentBatch, "a batch: the offices of its townships, the city; a cadre sees the "
          "batches of the persons assigned to them (the date and place to attend)", tenant=False,
          city_admin=_batch_townships, supervisor=_batch_townships,
          health_coordinator=_batch_townships, township_staff=_batch_townships,
          poverty_cadre=lambda a: AssessmentBatch.id.in_(
              select(BatchMember.batch_id).where(BatchMember.id.in_(_cadre_batch_members(a)))))
for _model in (BatchTownship, BatchMember, AssistanceUnitTownship):
    _register(_model, "a township's own rows of a batch or a unit: the township and the city",
              **CITY_READS_ALL, township_staff=EVERY)
_register(BatchMember, "a township's own persons on a batch: the township, the city, and the "
          "cadre of an assigned person", **CITY_READS_ALL, township_staff=EVERY,
          poverty_cadre=lambda a: BatchMember.id.in_(_cadre_batch_members(a)))
_register(AssistanceUnit, "the units' registry: the city, and the townships a unit helps",
          tenant=False, city_admin=_units_helping, supervisor=_units_helping,
          health_coordinator=_units_helping, township_staff=_units_helping)

# --- Certificates on their way to the holder ----------------------------------------------

_register(Reprint, "a reprint goes with its certificate",
          **inherit(Certificate, Reprint.certificate_id))
_register(Handover, "a handover goes with its certificate",
          **inherit(Certificate, Handover.certificate_id))
# A parcel lists every holder in it: only the roles that handle certificates see it.
_register(DispatchBatch, "a parcel lists its holders: the roles that handle certificates",
          city_admin=EVERY, supervisor=EVERY, township_staff=EVERY)
_register(PrintBatch, "a print run lists its holders: the city's certificate office",
          tenant=False, city_admin=EVERY, supervisor=EVERY)

# --- A certificate's life after handover (change, replacement, cancellation) ---------------

_register(CertificateRequest, "a holder's request and its documents: the township and the city",
          **CITY_READS_ALL, township_staff=EVERY)
for _model in (RequestDocument, RequestEvent):
    _register(_model, "a document or step of a request goes with its request",
              **inherit(CertificateRequest, _model.request_id))
# --- Transfers between townships ------------------------------------------------------------

def _transfer_parties(access: Access) -> ColumnElement[bool]:
    """A transfer concerns two townships: inside one, the requests it sent or received;
    city-wide, every request."""
    if access.township is None:
        return true() if access.city_wide else false()
    return or_(Transfer.township_id == access.township.id,
               Transfer.to_township_id == access.township.id)


# Not `tenant`: the receiving township sees a request whose township_id is the sender's.
# Row-level security on `transfers` says the same (migration 5551fa807644).
_register(Transfer, "a transfer: the sending and the receiving township's office, the city",
          tenant=False, city_admin=_transfer_parties, supervisor=_transfer_parties,
          township_staff=_transfer_parties)

# --- Figures and the audit trail ----------------------------------------------------------

for _model in (TownshipEstimate, DashboardRefresh, DashboardFigure):
    _register(_model, "township figures: the township and the city",
              **CITY_READS_ALL, township_staff=EVERY)
# A job's row holds ids, counts and codes, never personal data; the city's jobs have no
# township. The city's readers see the jobs they asked for themselves (an export).
_register(Job, "background jobs: the city office, a township's staff for its own, the city's "
          "readers the ones they asked for",
          tenant=False, city_admin=EVERY,
          township_staff=lambda a: Job.township_id == (a.township.id if a.township else -1),
          supervisor=lambda a: Job.created_by_id == a.user_id,
          health_coordinator=lambda a: Job.created_by_id == a.user_id)
_register(Membership, "who holds which role where: the administrators of users",
          tenant=False, city_admin=EVERY)
_register(Notice, "a message names its person and number: the township that calls, the city",
          **CITY_READS_ALL, township_staff=EVERY)
_register(NoticeOptOut, "numbers that asked for no messages: the township and the city",
          **CITY_READS_ALL, township_staff=EVERY)
# A notice to a township is seen by that township's office; one to the health bureau or a
# hospital by the health coordinator who answers for them; all by the supervisors.
_register(SupervisionNotice, "supervision notices: the supervisors, and the unit it is to",
          tenant=False, city_admin=EVERY, supervisor=EVERY,
          health_coordinator=lambda a: SupervisionNotice.unit.in_(("health_bureau", "hospital")),
          township_staff=lambda a: (SupervisionNotice.township_id == a.township.id)
          if a.township is not None else false())
_register(AccountabilityRecord, "accountability records: the city office and the supervisors",
          tenant=False, city_admin=EVERY, supervisor=EVERY)
_register(AuditEvent, "the audit trail: the city office and the supervisors",
          tenant=False, city_admin=EVERY, supervisor=EVERY)


# --- Petitions (信访) -----------------------------------------------------------------------
# Not a township's rows (a petition may concern none), so each rule names the township itself.
# A petition about a township's own staff is handled by the city and never shown to that
# township, whichever unit handles it.

def _petition_of_township(township_id: int) -> ColumnElement[bool]:
    concerns = or_(Petition.township_id == township_id,
                   and_(Petition.unit_kind == "township_dpf",
                        Petition.unit_township_id == township_id))
    about_its_staff = and_(Petition.township_id == township_id,
                           Petition.about_township_staff.is_(True))
    return and_(concerns, not_(about_its_staff))


def _petitions_city(access: Access) -> ColumnElement[bool]:
    """Every petition city-wide; on a township's pages, those of that township."""
    if access.township is None:
        return true()
    return or_(Petition.township_id == access.township.id,
               Petition.unit_township_id == access.township.id)


def _petitions_health(access: Access) -> ColumnElement[bool]:
    """The health bureau: petitions it or a hospital handles, or that concern them."""
    health = ("health_bureau", "hospital")
    mine = or_(Petition.unit_kind.in_(health), Petition.subject_unit_kind.in_(health))
    return and_(mine, _petitions_city(access))


def _petitions_township(access: Access) -> ColumnElement[bool]:
    if access.township is None:
        return false()
    return _petition_of_township(access.township.id)


_register(
    Petition, "the city, the health bureau for its units, the township it concerns (never one "
    "about its own staff), and the guardian who filed it",
    tenant=False,
    city_admin=_petitions_city,
    supervisor=_petitions_city,
    health_coordinator=_petitions_health,
    township_staff=_petitions_township,
    guardian=lambda a: Petition.filed_by_id == a.user_id,
)
for _model in (PetitionEvent, PetitionExtension, PetitionAttachment):
    _register(_model, "a row of a petition is seen with its petition", tenant=False,
              **inherit(Petition, _model.petition_id))
