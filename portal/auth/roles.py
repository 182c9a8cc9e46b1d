"""Roles (DESIGN.md §1) and the permissions each grants."""
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    CITY_ADMIN = "city_admin"
    SUPERVISOR = "supervisor"
    HEALTH_COORDINATOR = "health_coordinator"
    TOWNSHIP_STAFF = "township_staff"
    VILLAGE_LIAISON = "village_liaison"
    POVERTY_CADRE = "poverty_cadre"
    DOCTOR = "doctor"
    GUARDIAN = "guardian"


CITY_ROLES = frozenset({Role.CITY_ADMIN, Role.SUPERVISOR, Role.HEALTH_COORDINATOR})
# Roles whose membership row names a township; the others are city-wide.
TOWNSHIP_ROLES = frozenset({Role.TOWNSHIP_STAFF, Role.VILLAGE_LIAISON, Role.POVERTY_CADRE})

ROLE_LABELS = {
    Role.CITY_ADMIN: _l("City DPF administrator"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.HEALTH_COORDINATOR: _l("Health coordinator"),
    Role.TOWNSHIP_STAFF: _l("Township staff"),
    Role.VILLAGE_LIAISON: _l("Village liaison"),
    Role.POVERTY_CADRE: _l("Poverty-relief cadre"),
    Role.DOCTOR: _l("Assessment doctor"),
    Role.GUARDIAN: _l("Guardian or agent"),
}


class Permission(StrEnum):
    VIEW_PERSONS = "view_persons"
    EDIT_PERSONS = "edit_persons"
    REVEAL_PERSONAL_DATA = "reveal_personal_data"
    IMPORT_ROSTER = "import_roster"
    EXPORT_ROSTER = "export_roster"
    SUBMIT_ROSTER_REPORT = "submit_roster_report"
    VIEW_CITY = "view_city"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    MANAGE_CASES = "manage_cases"  # create cases, move them along at township level
    SCHEDULE = "schedule"  # concentrated-day lists, home-visit bookings
    ASSESS = "assess"  # record and sign an assessment (certified doctors)
    APPROVE_CASES = "approve_cases"  # city review and approval
    MANAGE_DOCTORS = "manage_doctors"  # doctors' registry and certifications
    VIEW_CASES = "view_cases"
    # Print and dispatch batches and their lists name every holder in them.
    VIEW_BATCHES = "view_batches"
    # An invite makes its holder a guardian who sees the person: issued by the township office
    # (and by a case's own assessing doctor, checked on the case).
    INVITE_GUARDIANS = "invite_guardians"
    # Supervision notices and accountability records (督查问效).
    SUPERVISE = "supervise"
    # Petitions (信访): see the lists and pages; record petitions and take their steps (which
    # petitions, and whether the user handles one, is decided per petition).
    VIEW_PETITIONS = "view_petitions"
    HANDLE_PETITIONS = "handle_petitions"
    # A poverty-relief cadre's work list of assigned persons and the contacts recorded there.
    RECORD_CONTACTS = "record_contacts"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CITY_ADMIN: frozenset(P) - {P.ASSESS},
    Role.SUPERVISOR: frozenset(
        {P.VIEW_PERSONS, P.EXPORT_ROSTER, P.VIEW_CITY, P.VIEW_AUDIT, P.VIEW_CASES,
         P.VIEW_BATCHES, P.SUPERVISE, P.VIEW_PETITIONS}
    ),
    Role.HEALTH_COORDINATOR: frozenset(
        {P.VIEW_PERSONS, P.VIEW_CITY, P.VIEW_CASES, P.MANAGE_DOCTORS, P.SCHEDULE,
         P.VIEW_PETITIONS, P.HANDLE_PETITIONS}
    ),
    Role.TOWNSHIP_STAFF: frozenset(
        {
            P.VIEW_PERSONS,
            P.EDIT_PERSONS,
            P.REVEAL_PERSONAL_DATA,
            P.IMPORT_ROSTER,
            P.EXPORT_ROSTER,
            P.SUBMIT_ROSTER_REPORT,
            P.VIEW_CASES,
            P.MANAGE_CASES,
            P.SCHEDULE,
            P.VIEW_BATCHES,
            P.INVITE_GUARDIANS,
            P.VIEW_PETITIONS,
            P.HANDLE_PETITIONS,
        }
    ),
    Role.VILLAGE_LIAISON: frozenset(
        {P.VIEW_PERSONS, P.EDIT_PERSONS, P.REVEAL_PERSONAL_DATA, P.VIEW_CASES}
    ),
    Role.POVERTY_CADRE: frozenset({P.VIEW_PERSONS, P.VIEW_CASES, P.RECORD_CONTACTS}),
    Role.DOCTOR: frozenset({P.VIEW_PERSONS, P.REVEAL_PERSONAL_DATA, P.VIEW_CASES, P.ASSESS}),
    Role.GUARDIAN: frozenset({P.VIEW_PERSONS, P.VIEW_CASES}),
}
