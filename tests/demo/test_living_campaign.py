"""`flask seed demo` tells a living campaign around today: phases, doctors, days with places
and attendance, home visits, cases in every state and path, a finished video assessment with
its recording in the evidence store, certificates handed over, and overdue items."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import av
import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.cases.models import Case
from portal.cases.services import overdue_condition
from portal.certificates.models import Certificate, Handover
from portal.certificates.services import overdue_certificates
from portal.clock import local_today
from portal.doctors.models import DoctorCertification
from portal.evidence.models import Evidence
from portal.evidence.services import get_store
from portal.extensions import db
from portal.reference.models import Campaign, ConcentratedDay
from portal.scheduling.models import DayAssignment, HomeVisit
from portal.tenancy import access_for
from portal.video.models import VideoMedia, VideoSession

STATES = {"registered", "scheduled", "assessed", "second_review", "publicity", "under_review",
          "approved", "printed", "dispatched", "issued", "not_qualified", "appealed", "closed",
          "withdrawn"}


@pytest.fixture
def demo(runner, db_session):
    result = runner.invoke(args=["seed", "demo", "--persons", "1200", "--seed", "4"])
    assert result.exit_code == 0, result.output
    return result.output


def test_phases_surround_today(demo, db_session):
    today = local_today()
    campaign = db_session.execute(
        select(Campaign).where(Campaign.code == f"demo-{today.year}")).scalar_one()
    phases = {p.code: p for p in campaign.phases}
    assert phases["survey"].ends_on < today
    assert phases["concentrated"].starts_on <= today <= phases["concentrated"].ends_on
    assert phases["issuance"].starts_on > today
    assert [t.deadline > today for t in campaign.targets] == [True, True]
    assert "demonstration campaign demo-" in demo


def test_cases_in_every_state_and_path(demo, db_session):
    states = set(db_session.scalars(select(Case.state).distinct()))
    assert STATES <= states, STATES - states
    paths = set(db_session.scalars(select(Case.path).distinct()))
    assert paths == {"concentrated", "home_visit", "video", "records", "hospital"}
    origins = set(db_session.scalars(select(Case.origin).distinct()))
    assert origins == {"survey", "walk_in", "hospital_booking"}
    appeal = db_session.scalars(select(Case).where(Case.appeal_of_id.is_not(None))).one()
    assert appeal.city_level and appeal.doctor_id is not None


def test_doctors_days_and_visits(demo, db_session):
    today = local_today()
    certified = db_session.scalars(select(DoctorCertification)).all()
    assert len(certified) >= 3 and all(c.valid_until > today for c in certified)
    days = db_session.scalars(select(ConcentratedDay).where(
        ConcentratedDay.campaign_id.is_not(None), ConcentratedDay.day >= today - timedelta(30)
    )).all()
    held = [d for d in days if d.day < today]
    coming = [d for d in days if d.day > today]
    assert held and coming and all(d.capacity("physical") > 0 for d in coming)
    marks = dict(db_session.execute(select(DayAssignment.attendance, func.count())
                                    .group_by(DayAssignment.attendance)).all())
    assert marks["attended"] > 0 and marks["no_show"] > 0 and marks["expected"] > 0
    visits = db_session.scalars(select(HomeVisit)).all()
    assert {v.status for v in visits} == {"done", "booked"}


def test_finished_video_assessment_with_stored_recording(app, demo, db_session):
    session = db_session.scalars(select(VideoSession)).one()
    assert session.state == "ended" and session.recording_evidence_id is not None
    assert {c.party for c in session.consents} == {"doctor", "guardian"}
    kinds = {e.kind: e for e in db_session.scalars(
        select(Evidence).where(Evidence.case_id == session.case_id))}
    assert set(kinds) == {"recording", "snapshot"}
    store = get_store(app)
    for evidence in kinds.values():
        with store.open(evidence.object_key) as stored:
            data = stored.read()
        assert hashlib.sha256(data).hexdigest() == evidence.sha256
        assert len(data) == evidence.size
    with store.open(kinds["recording"].object_key) as stored, av.open(stored) as container:
        frames = sum(1 for _ in container.decode(video=0))
    media = db_session.scalars(select(VideoMedia).where(
        VideoMedia.evidence_id == kinds["recording"].id)).one()
    assert frames == media.video_frames >= 30
    assert session.case.state == "assessed"


def test_certificates_and_overdue_items(demo, db_session):
    today = local_today()
    assert db_session.scalar(select(func.count()).select_from(Handover)) >= 10
    assert db_session.scalar(select(func.count()).select_from(Certificate)) > 10
    overdue_cases = db_session.scalars(select(Case).where(overdue_condition(today))).all()
    assert any(c.state == "publicity" for c in overdue_cases)
    from portal.auth.models import User

    admin = db_session.execute(select(User).where(User.username == "demo_admin")).scalar_one()
    stuck = overdue_certificates(access_for(admin, None), today)
    assert any(row.kind == "not_dispatched" for row in stuck)


def _story_digest(seed: int, tmp_path) -> list[tuple]:
    tmp_path.mkdir()
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI":
                      f"sqlite:///{tmp_path / f'demo{seed}.sqlite3'}",
                      "EVIDENCE_DIR": str(tmp_path / f"evidence{seed}")})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from portal.demo.people import seed_demo

        seed_demo(persons=1200, seed=seed)
        db.session.commit()
        rows = db.session.execute(
            select(Case.id, Case.path, Case.state, Case.grade).order_by(Case.id)).all()
        ids = db.session.execute(select(Case.id, Case.person_id).order_by(Case.id)).all()
        from portal.rosters.models import Person

        numbers = dict(db.session.execute(select(Person.id, Person.id_number)).all())
        return [(*row[1:], numbers[pid]) for row, (_cid, pid) in zip(rows, ids, strict=True)]


def test_same_seed_same_stories(tmp_path):
    first = _story_digest(4, tmp_path / "a")
    assert first == _story_digest(4, tmp_path / "b")
    assert len(first) > 60
