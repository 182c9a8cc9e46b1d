"""The walkers' world: two townships with one object of each kind, built once per module
(tests/shared_world.py) or per test (the `world` fixture in conftest.py)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass


@dataclass
class Side:
    """One township with one object of each kind, used to fill URL arguments."""

    township: object
    village: object  # village X
    other_village: object  # village Y
    person: object  # in village X, on both lists
    person_other_village: object  # in village Y
    entry: object  # roster entry of `person`
    entry_other_village: object  # roster entry of `person_other_village`
    report: object
    job: object
    staff: object
    liaison: object  # liaison of village X

    @property
    def code(self) -> str:
        return self.township.code


def _file_job(db_session, township, staff, label: str):
    """A finished export of the township's staff member, its file on the shared disk."""
    from openpyxl import Workbook

    from portal.jobs import files
    from portal.jobs.models import Job

    name = f"sec-{label}-{secrets.token_hex(8)}.xlsx"
    book = Workbook()
    book.active.append(["乡镇名单"])
    book.save(files.directory() / name)
    job = Job(kind="roster.export", args={"list_kind": "suspected", "reveal": False},
              key=f"file:roster.export:{staff.id}", township_id=township.id,
              created_by_id=staff.id, state="done", attempts=1,
              result={"file": name, "filename": "list.xlsx", "rows": 0, "bytes": 22,
                      "masked": True})
    db_session.add(job)
    return job


def build_world(db_session, make_township, make_user, make_person):
    """The `world` fixture's townships, for any session (tests/shared_world.py builds it once
    for a module of read-only walks)."""
    from sqlalchemy import select

    from portal.jobs.models import Job
    from portal.rosters.models import ImportJob, RosterEntry, RosterReport

    def side(label: str) -> Side:
        township = make_township(code=f"sec{label.lower()}", villages=("X村", "Y村"))
        village_x, village_y = sorted(township.villages, key=lambda v: v.name)
        staff = make_user("township_staff", township, username=f"staff_{label}")
        liaison = make_user("village_liaison", township, [village_x],
                            username=f"liaison_{label}")
        person = make_person(township, name=f"{label}甲", village=village_x,
                             list_kind="suspected")
        person_y = make_person(township, name=f"{label}乙", village=village_y,
                               list_kind="suspected")
        entry, entry_y = (
            db_session.scalars(select(RosterEntry).where(RosterEntry.person_id == p.id)).one()
            for p in (person, person_y)
        )
        report = RosterReport(
            township_id=township.id, submitted_by_id=staff.id, expired_count=0,
            suspected_count=2, poverty_count=0, bedridden_count=0, snapshot=[],
            sha256=hashlib.sha256(b"[]").hexdigest(),
        )
        job = ImportJob(
            township_id=township.id, token=secrets.token_urlsafe(24), list_kind="suspected",
            filename="roster.xlsx", stored_name=f"{secrets.token_hex(16)}.xlsx",
            uploaded_by_id=staff.id, status="ready",
        )
        db_session.add_all([report, job])
        db_session.flush()
        found = Side(township, village_x, village_y, person, person_y, entry, entry_y, report,
                     job, staff, liaison)
        # A finished import of the register (a background job of the township's).
        found.holder_import = Job(kind="holders.import", args={"stored": "gone.upload"},
                                  key=f"holders:{label}", township_id=township.id,
                                  created_by_id=staff.id, state="done", attempts=1)
        db_session.add(found.holder_import)
        found.file_job = _file_job(db_session, township, staff, label)
        db_session.flush()
        return found

    a, b = side("A"), side("B")
    city_admin = make_user("city_admin", username="sec_city_admin")
    elsewhere = make_township(code="secc")  # receives the walked transfers: neither A nor B
    for s in (a, b):
        _add_guardianship(db_session, make_user, s)
        _add_schedule(db_session, make_user, s)
        _add_certificate(db_session, s)
        _add_evidence(db_session, s)
        _add_notices(db_session, s, city_admin)
        _add_objection(db_session, s)
        _add_life_request(db_session, s)
        _add_petition(db_session, s)
        _add_transfer(db_session, s, elsewhere)
        _add_organised_batch(db_session, s)
    _add_training(db_session, make_user, (a, b))
    return {"A": a, "B": b, "city_admin": city_admin}


def _add_training(db_session, make_user, sides) -> None:
    """A doctors' training session with one attendee who passed (city-wide: both sides)."""
    from datetime import date

    from portal.training.models import TrainingAttendee, TrainingResult, TrainingSession

    doctor = make_user("doctor", username="trained_doctor")
    training = TrainingSession(held_on=date(2020, 4, 20), place="州医院", trainer="专家",
                               categories=["physical"])
    training.attendees = [TrainingAttendee(user_id=doctor.id, results=[
        TrainingResult(category="physical", passed=True)])]
    db_session.add(training)
    db_session.flush()
    for side in sides:
        side.training = training


def _add_guardianship(db_session, make_user, side: Side) -> None:
    """A guardian acting for `person`."""
    from portal.rosters.models import Guardianship

    guardian = make_user("guardian", username=f"guardian_of_{side.code}")
    side.guardianship = Guardianship(township_id=side.township.id, user_id=guardian.id,
                                     person_id=side.person.id, relation="child")
    db_session.add(side.guardianship)
    db_session.flush()


def _add_notices(db_session, side: Side, city_admin) -> None:
    """A message about the side's person that could not be sent, and a supervision notice to
    the side's township."""
    from datetime import date

    from portal.notices.services import notify
    from portal.supervision.models import SupervisionNotice

    side.notice = notify("certificate_ready", person=side.person, key=f"sec-{side.code}",
                         params={"place": "乡镇残联"})
    side.notice.state = "failed"
    side.supervision = SupervisionNotice(
        number=f"督办〔2020〕{side.code}号", unit="township", township_id=side.township.id,
        source="cases", items=[], required_action="按期办结", due_on=date(2020, 6, 1),
        issued_by_id=city_admin.id, issued_on=date(2020, 5, 20))
    db_session.add(side.supervision)
    db_session.flush()


def _walked_campaign(db_session):
    """The campaign of the walked days (a draft recorded as history), made once."""
    from datetime import date

    from sqlalchemy import select

    from portal.reference.models import Campaign, CampaignPhase

    campaign = db_session.scalars(select(Campaign).where(Campaign.code == "sec-walk")).first()
    if campaign is None:
        campaign = Campaign(code="sec-walk", name="走查活动", historical=True,
                            starts_on=date(2020, 3, 1), ends_on=date(2020, 12, 31))
        campaign.phases = [CampaignPhase(code="concentrated", name="集中办证阶段", position=0,
                                         starts_on=date(2020, 5, 1),
                                         ends_on=date(2020, 5, 31))]
        db_session.add(campaign)
        db_session.flush()
    return campaign


def _add_schedule(db_session, make_user, side: Side) -> None:
    """A concentrated day and a booked home visit (for `person`) of the side's township."""
    from datetime import date, time

    from portal.cases.models import Case
    from portal.reference.models import ConcentratedDay
    from portal.scheduling.models import HomeVisit, HomeVisitMember

    doctor = make_user("doctor", username=f"doctor_{side.code}")
    case = Case(township_id=side.township.id, person_id=side.person.id, kind="issue",
                path="home_visit", state="scheduled", requested_category="physical",
                created_by_id=side.staff.id, doctor_id=doctor.id)
    side.campaign = _walked_campaign(db_session)
    side.day = ConcentratedDay(township_id=side.township.id, day=date(2020, 5, 7),
                               capacity_physical=5, campaign_id=side.campaign.id)
    db_session.add_all([case, side.day])
    db_session.flush()
    side.case = case
    side.visit = HomeVisit(township_id=side.township.id, case_id=case.id,
                           visit_date=date(2020, 5, 20), starts_at=time(9), ends_at=time(10),
                           created_by_id=side.staff.id)
    side.visit.members.append(HomeVisitMember(township_id=side.township.id,
                                              user_id=doctor.id, is_doctor=True))
    db_session.add(side.visit)
    db_session.flush()
    _add_video_session(db_session, side, doctor)


def _add_evidence(db_session, side: Side) -> None:
    """A text statement of the side's case, its object in the app's evidence store."""
    import io

    from flask import current_app

    from portal.evidence.models import Evidence
    from portal.evidence.services import get_store
    from portal.storage import evidence_key

    stored = get_store(current_app).put(evidence_key(side.township.id, side.case.id),
                                        io.BytesIO(b"statement"), content_type="text/plain")
    side.evidence = Evidence(
        township_id=side.township.id, case_id=side.case.id, kind="statement",
        object_key=stored.key, content_type="text/plain", size=stored.size,
        sha256=stored.sha256, uploaded_by_id=side.staff.id)
    db_session.add(side.evidence)
    db_session.flush()


def _add_video_session(db_session, side: Side, doctor) -> None:
    """A scheduled video assessment of the side's case."""
    from datetime import UTC, datetime

    from portal.video.models import VideoSession

    side.video_session = VideoSession(
        township_id=side.township.id, case_id=side.case.id, doctor_id=doctor.id,
        room_id=f"room-{side.code}", scheduled_at=datetime(2020, 5, 20, 1, tzinfo=UTC),
        join_nonce=secrets.token_hex(16), join_token_hash=secrets.token_hex(32),
        join_expires_at=datetime(2020, 5, 20, 3, tzinfo=UTC))
    db_session.add(side.video_session)
    db_session.flush()


def _add_certificate(db_session, side: Side) -> None:
    """A printed certificate of `person` (its case), sent to the side's township."""
    from datetime import date

    from portal.certificates.models import Certificate, DispatchBatch, PrintBatch

    side.print_batch = PrintBatch(township_id=side.township.id, state="printed",
                                  issue_date=date(2020, 9, 1), created_by_id=side.staff.id)
    side.dispatch = DispatchBatch(township_id=side.township.id, sent_count=1,
                                  sent_by_id=side.staff.id, sent_on=date(2020, 9, 2))
    db_session.add_all([side.print_batch, side.dispatch])
    db_session.flush()
    side.certificate = Certificate(
        township_id=side.township.id, case_id=side.case.id, live_case_id=side.case.id,
        person_id=side.person.id, number=side.person.id_number + "42", category="physical",
        grade=2, issue_date=date(2020, 9, 1), expires_on=date(2030, 9, 1),
        token=f"sec-{side.code}", print_batch_id=side.print_batch.id,
        printed_on=date(2020, 9, 1), dispatch_batch_id=side.dispatch.id)
    db_session.add(side.certificate)
    db_session.flush()


def _add_objection(db_session, side: Side) -> None:
    """An objection to the side's case, received by phone, with a PDF in the store."""
    import io
    from datetime import date

    from flask import current_app

    from portal.evidence.services import get_store
    from portal.objections.models import Objection

    stored = get_store(current_app).put(f"objections/{side.township.id}/{secrets.token_hex(8)}",
                                        io.BytesIO(b"%PDF-1.4\n"),
                                        content_type="application/pdf")
    side.objection = Objection(township_id=side.township.id, case_id=side.case.id,
                               channel="phone", received_on=date(2020, 5, 8),
                               reason="电话异议", recorded_by_id=side.staff.id,
                               attachment_key=stored.key, attachment_type="application/pdf",
                               attachment_size=stored.size, attachment_sha256=stored.sha256)
    db_session.add(side.objection)
    db_session.flush()


def _add_life_request(db_session, side: Side) -> None:
    """A cancellation request about `person`'s certificate, with one document in the store."""
    import io

    from flask import current_app

    from portal.evidence.services import get_store
    from portal.lifecycle.models import CertificateRequest, RequestDocument

    side.life_request = CertificateRequest(
        township_id=side.township.id, person_id=side.person.id, kind="cancellation",
        state="draft", reason="own_request", created_by_id=side.staff.id, changes={},
        certificate_number=side.certificate.number, category="physical", grade=2)
    db_session.add(side.life_request)
    db_session.flush()
    stored = get_store(current_app).put(
        f"certificate-life/{side.township.id}/requests/{side.life_request.id}/walk",
        io.BytesIO(b"%PDF-1.4 request"), content_type="application/pdf")
    side.life_document = RequestDocument(
        township_id=side.township.id, request_id=side.life_request.id, kind="statement",
        object_key=stored.key, content_type="application/pdf", size=stored.size,
        sha256=stored.sha256, uploaded_by_id=side.staff.id)
    db_session.add(side.life_document)
    db_session.flush()


def _add_petition(db_session, side: Side) -> None:
    """A petition about `person`'s case, handled by the side's township DPF, with a letter."""
    import io
    from datetime import date

    from flask import current_app

    from portal.evidence.services import get_store
    from portal.petitions.models import Petition, PetitionAttachment

    side.petition = Petition(
        reference=f"XF20200601-SEC{side.code[-1].upper()}", channel="phone", category="other",
        content="走查信访", petitioner_name=f"信访人{side.code}", petitioner_phone="13800000000",
        township_id=side.township.id, case_id=side.case.id, person_id=side.person.id,
        unit_kind="township_dpf", unit_township_id=side.township.id, state="received",
        received_on=date(2020, 6, 1), acceptance_due_on=date(2020, 6, 16),
        due_on=date(2020, 6, 16), received_by_id=side.staff.id)
    db_session.add(side.petition)
    db_session.flush()
    stored = get_store(current_app).put(f"petitions/{side.petition.id}/walk",
                                        io.BytesIO(b"letter"), content_type="text/plain")
    side.petition_attachment = PetitionAttachment(
        petition_id=side.petition.id, object_key=stored.key, content_type="text/plain",
        size=stored.size, sha256=stored.sha256, original_filename="letter.txt")
    db_session.add(side.petition_attachment)
    db_session.flush()


def _add_organised_batch(db_session, side: Side) -> None:
    """An organised batch of the side's township taking `person` to a hospital."""
    from datetime import date

    from portal.batches.models import AssessmentBatch, BatchMember, BatchTownship
    from portal.reference.models import Hospital

    hospital = Hospital(name=f"走查医院{side.code}")
    db_session.add(hospital)
    db_session.flush()
    side.organised_batch = AssessmentBatch(
        made_in_id=side.township.id, organiser="township", category="hearing",
        hospital_id=hospital.id, held_on=date(2020, 5, 21), places=5,
        created_by_id=side.staff.id)
    side.organised_batch.links = [BatchTownship(township_id=side.township.id)]
    db_session.add(side.organised_batch)
    db_session.flush()
    db_session.add(BatchMember(township_id=side.township.id, batch_id=side.organised_batch.id,
                               case_id=side.case.id, added_by_id=side.staff.id))
    db_session.flush()


def _add_transfer(db_session, side: Side, elsewhere) -> None:
    """A request to move `person` to a third township, waiting for its answer."""
    from datetime import date

    from portal.domain.idcard import mask
    from portal.transfers.models import Transfer

    person = side.person
    side.transfer = Transfer(
        township_id=side.township.id, person_id=person.id, kind="within_county",
        to_township_id=elsewhere.id, requested_on=date(2020, 9, 1),
        requested_by_id=side.staff.id, person_name=person.name,
        id_masked=mask(person.id_number), gender=person.gender,
        birth_year=person.birth_date.year)
    db_session.add(side.transfer)
    db_session.flush()
