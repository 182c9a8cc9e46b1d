"""A walk-in application on a day outside every campaign goes, through the pages, the whole
way of the one case workflow: assessment, public notice, approval, printing, dispatch and a
handover entered late, to a certificate in the person's hands."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cases.models import Case
from portal.certificates.models import Certificate, DispatchBatch, PrintBatch
from portal.doctors.models import DoctorCertification
from portal.domain import idcard
from portal.reference.models import Hospital
from portal.rosters.models import Person
from tests.cases.helpers import text

NEW_ID = idcard.make("533103", date(1975, 3, 8), 321)


def _certify(db_session, doctor) -> None:
    hospital = Hospital(name="芒市人民医院")
    db_session.add(hospital)
    db_session.flush()
    db_session.add(DoctorCertification(
        user_id=doctor.id, number="DH-2019-901", hospital_id=hospital.id,
        categories=["physical"], valid_from=date(2019, 1, 1), valid_until=date(2024, 12, 31),
        active=True))
    db_session.flush()


def _case(db_session, person_id) -> Case:
    db_session.expire_all()
    return db_session.scalars(select(Case).where(Case.person_id == person_id)).one()


def test_walk_in_outside_any_campaign_reaches_a_handed_over_certificate(
        world, campaign, clock, client, post, login_as, db_session):
    _certify(db_session, world.doctor)
    base = f"/t/{world.township.code}"
    clock.day = date(2020, 9, 1)  # the campaign ran 2020-04-01 … 2020-06-30

    login_as(world.staff)
    page = text(client.get(f"{base}/walk-ins/new"))
    assert "Walk-in application" in page and NEW_ID not in page
    found = text(post(f"{base}/walk-ins/new", {"id_number": NEW_ID, "find": "1"}))
    assert "This ID number is not registered yet" in found
    response = post(f"{base}/walk-ins/new", {
        "id_number": NEW_ID, "stage": "new", "open": "1", "name": "岩香",
        "village_id": world.village.id, "mobility": "can_travel", "kind": "issue",
        "requested_category": "physical", "path": "records", "hospital_id": "0",
        "note": "came to the office"})
    assert response.status_code == 302, text(response)[:2000]
    person = db_session.scalars(select(Person).where(Person.id_number == NEW_ID)).one()
    assert person.roster_entries == []  # not put on a survey list
    case = _case(db_session, person.id)
    assert (case.state, case.origin, case.campaign_id, case.roster_entry_id) == (
        "registered", "walk_in", None, None)
    page = text(client.get(f"{base}/cases/{case.id}"))
    assert "Walk-in application at the township" in page
    assert "opened outside any campaign" in page
    assert post(f"{base}/cases/{case.id}/doctor",
                {"doctor_id": world.doctor.id}).status_code == 302

    login_as(world.doctor)
    response = post(f"{base}/assessments/{case.id}/new?category=physical", {
        "method": "records", "limb_clause": "quadriplegia", "limb_without_aids": "y",
        "outcome": "1", "sign": "1"})
    assert response.status_code == 302, text(response)[:2000]

    login_as(world.staff)
    assert post(f"{base}/cases/{case.id}/steps/start_publicity",
                {"starts_on": "2020-09-01"}).status_code == 302
    # 5 working days after Tuesday 1 September 2020: 2-4, 7, 8 September.
    assert _case(db_session, person.id).publicity_ends_on == date(2020, 9, 8)
    clock.day = date(2020, 9, 9)
    assert post(f"{base}/cases/{case.id}/steps/end_publicity", {}).status_code == 302

    login_as(world.approver)
    assert post(f"{base}/cases/{case.id}/steps/approve", {}).status_code == 302
    case = _case(db_session, person.id)
    assert case.state == "approved" and case.certificate_number == NEW_ID + "41"

    assert post("/city/certificates/batches/new", {
        "cases": [case.id], "issue_date": "2020-09-09"}).status_code == 302
    batch = db_session.scalars(select(PrintBatch)).one()
    assert post(f"/city/certificates/batches/{batch.id}/printed", {}).status_code == 302
    clock.day = date(2020, 9, 10)
    assert post("/city/certificates/dispatches/new",
                {"township": world.township.id}).status_code == 302
    dispatch = db_session.scalars(select(DispatchBatch)).one()

    login_as(world.staff)
    clock.day = date(2020, 9, 11)
    assert post(f"{base}/certificates/dispatches/{dispatch.id}",
                {"counted": "1", "note": ""}).status_code == 302
    certificate = db_session.scalars(
        select(Certificate).where(Certificate.case_id == case.id)).one()
    # Handed over on Friday 11 September on paper, entered on Monday 14 September.
    clock.day = date(2020, 9, 14)
    url = f"{base}/certificates/{certificate.id}/handover"
    form = {"receiver_name": "岩香", "relation": "self",
            "id_last_digits": NEW_ID[-4:], "handed_on": "2020-09-11"}
    page = text(post(url, form))
    assert "write why it is entered late" in page
    assert post(url, dict(form, late_reason="receipt signed in the village, typed in on "
                                           "Monday")).status_code == 302
    case = _case(db_session, person.id)
    assert case.state == "issued"
    assert certificate.handover.handed_on == date(2020, 9, 11)
    assert person.certificate_number == certificate.number
    assert [e.action for e in case.events] == [
        "register", "assign_doctor", "record_assessment", "start_publicity", "end_publicity",
        "approve", "print", "dispatch", "issue"]
    issue = case.events[-1]
    assert issue.happened_on == date(2020, 9, 11) and issue.late_reason.startswith("receipt")
    page = text(client.get(f"{base}/cases/{case.id}"))
    assert "Entered late" in page and "Done on 2020-09-11" in page
    assert db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "case.create", AuditEvent.object_id == case.id)).one() \
        .details["origin"] == "walk_in"
