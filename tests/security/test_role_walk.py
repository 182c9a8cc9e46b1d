"""Walks every page with every role of the same township, of another township and of none, and
compares what each one is shown with what the access policy lets it see.

The expectations are written here by hand, from DESIGN.md's roles, not computed from
`portal.access`: a policy that shows a role too much fails this walk. Two checks per page:
- no person's name appears on a page for a user who may not see that person (lists, batches,
  receipts, exports alike: Excel files are read too);
- a page that names an object the user may not see answers 403 or 404, to a GET and to a POST
  (with a valid CSRF token) alike.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date

import pytest

from portal.extensions import db
from tests.conftest import csrf_token
from tests.security.conftest import PUBLIC_ENDPOINTS, RULES, build

GET_RULES = [r for r in RULES if "GET" in r.methods and r.endpoint not in PUBLIC_ENDPOINTS]
POST_RULES = [r for r in RULES if "POST" in r.methods and r.endpoint not in PUBLIC_ENDPOINTS]

A_X, A_Y, B_X, B_Y = "A甲", "A乙", "B甲", "B乙"  # the walked people (see tests/security/conftest)
EVERYBODY = {A_X, A_Y, B_X, B_Y}
CITY_USERS = {"city_admin", "supervisor", "health_coordinator"}

# Who may see each kind of object of township A (all of them belong to A甲's case, or are
# township-wide records). A user missing from a set must get 403 or 404 for a page naming it.
SEES_A_X = {"staff_A", "liaison_X", "guardian", "cadre", "doctor"} | CITY_USERS
VISIBLE_TO = {
    "person_id": SEES_A_X,
    "entry_id": SEES_A_X,
    "case_id": SEES_A_X,
    "certificate_id": SEES_A_X,
    "session_id": SEES_A_X,
    "evidence_id": SEES_A_X,
    "visit_id": SEES_A_X,
    # A parcel and a print run list every holder in them: the certificate office only.
    "dispatch_id": {"staff_A", "city_admin", "supervisor"},
    "batch_id": {"city_admin", "supervisor"},
    # A submitted list and an uploaded roster name everybody on them.
    "report_id": {"staff_A"} | CITY_USERS,
    "token": {"staff_A", "city_admin"},
    "job_id": {"staff_A", "city_admin"},
    # Who objected and how to reach them: the township office and the city's officials.
    "objection_id": {"staff_A", "city_admin", "supervisor"},
    # Ending a guardian's access: the township office.
    "guardianship_id": {"staff_A", "city_admin"},
    # A request about a certificate (change, replacement, cancellation) and its documents:
    # the township office and the city.
    "request_id": {"staff_A"} | CITY_USERS,
    "document_id": {"staff_A"} | CITY_USERS,
    # A petition handled by township A's DPF: the township and the city's petition office and
    # supervisors; its attachments (which may name the petitioner) only to its handlers.
    "petition_id": {"staff_A", "city_admin", "supervisor"},
    "attachment_id": {"staff_A"},
    # A transfer between townships: the township office (and the receiving one's).
    "transfer_id": {"staff_A", "city_admin"},
    # An organised batch lists its people: the township office and the city.
    # The walked batch takes A甲, whose poverty-relief cadre sees it (the date and the
    # hospital to bring A甲 to), with only A甲 on its list.
    "assessment_batch_id": {"staff_A", "cadre"} | CITY_USERS,
}


@dataclass
class Walker:
    user: object
    names: set[str]  # the people whose names this user may be shown


@pytest.fixture
def walkers(world, db_session, make_user):
    """Every role of township A, roles of township B, and users linked to nobody."""
    from portal.certificates.models import Certificate
    from portal.rosters.models import Guardianship, PovertyAssignment
    from tests.cases.helpers import place

    a, b = world["A"], world["B"]
    _second_holder_in_parcel(db_session, a, place, Certificate)
    liaison_y = make_user("village_liaison", a.township, [a.other_village], username="liaison_AY")
    guardian = make_user("guardian", username="guardian_AX")
    cadre = make_user("poverty_cadre", a.township, username="cadre_AX")
    db_session.add_all([
        Guardianship(township_id=a.township.id, user_id=guardian.id, person_id=a.person.id),
        PovertyAssignment(township_id=a.township.id, user_id=cadre.id, person_id=a.person.id),
    ])
    db_session.flush()
    doctor = db.session.get(type(a.staff), a.case.doctor_id)
    return {
        "staff_A": Walker(a.staff, {A_X, A_Y}),
        "liaison_X": Walker(a.liaison, {A_X}),
        "liaison_Y": Walker(liaison_y, {A_Y}),
        "guardian": Walker(guardian, {A_X}),
        "cadre": Walker(cadre, {A_X}),
        "doctor": Walker(doctor, {A_X}),
        "staff_B": Walker(b.staff, {B_X, B_Y}),
        "liaison_B": Walker(b.liaison, {B_X}),
        "lone_guardian": Walker(make_user("guardian", username="guardian_none"), set()),
        "lone_doctor": Walker(make_user("doctor", username="doctor_none"), set()),
        "city_admin": Walker(world["city_admin"], EVERYBODY),
        "supervisor": Walker(make_user("supervisor", username="sec_supervisor"), EVERYBODY),
        "health_coordinator": Walker(make_user("health_coordinator", username="sec_health"),
                                     EVERYBODY),
    }


def _second_holder_in_parcel(db_session, side, place, Certificate) -> None:
    """A乙's certificate travels in the same parcel as A甲's: the parcel names both."""
    from portal.cases.models import Case

    case = Case(township_id=side.township.id, person_id=side.person_other_village.id,
                kind="issue", path="concentrated_day", state="registered",
                requested_category="physical", created_by_id=side.staff.id)
    db_session.add(case)
    db_session.flush()
    place(case, "dispatched", category="physical", grade=3)
    db_session.add(Certificate(
        township_id=side.township.id, case_id=case.id, live_case_id=case.id,
        person_id=side.person_other_village.id,
        number=side.person_other_village.id_number + "43", category="physical", grade=3,
        issue_date=date(2020, 9, 1), expires_on=date(2030, 9, 1), token=f"sec2-{side.code}",
        print_batch_id=side.print_batch.id, printed_on=date(2020, 9, 1),
        dispatch_batch_id=side.dispatch.id))
    side.dispatch.sent_count = 2
    db_session.flush()


def _shown_text(response) -> str:
    """What a person reading the response would see: the page, or the cells of a workbook."""
    data = response.get_data()
    if data[:2] == b"PK":  # xlsx
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist()
                           if n.endswith(".xml"))
    return data.decode("utf-8", "replace")


@pytest.mark.parametrize("who", [
    "staff_A", "liaison_X", "liaison_Y", "guardian", "cadre", "doctor", "staff_B", "liaison_B",
    "lone_guardian", "lone_doctor", "city_admin", "supervisor", "health_coordinator",
])
def test_every_page_shows_each_role_only_what_it_may_see(who, walkers, world, client,
                                                        login_as):
    walker = walkers[who]
    login_as(walker.user)
    hidden = EVERYBODY - walker.names
    problems = []
    for rule in GET_RULES:
        url = build(rule, world["A"])
        response = client.get(url)
        status = response.status_code
        if status >= 500:
            problems.append(f"{url}: {status}")
            continue
        leaked = sorted(n for n in hidden if n in _shown_text(response))
        if leaked:
            problems.append(f"{url} ({rule.endpoint}) shows {leaked}")
        refused = [arg for arg in rule.arguments
                   if arg in VISIBLE_TO and who not in VISIBLE_TO[arg]]
        if refused and status not in (403, 404):
            problems.append(f"{url} ({rule.endpoint}) names {refused} it may not see, "
                            f"answered {status}")
    for rule in POST_RULES:
        refused = [arg for arg in rule.arguments
                   if arg in VISIBLE_TO and who not in VISIBLE_TO[arg]]
        if not refused:
            continue
        url = build(rule, world["A"])
        status = client.post(url, data={"csrf_token": csrf_token(client)}).status_code
        if status not in (403, 404):
            problems.append(f"POST {url} ({rule.endpoint}) names {refused} it may not see, "
                            f"answered {status}")
    assert not problems, f"{who}:\n" + "\n".join(problems)
