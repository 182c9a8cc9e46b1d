"""A training that qualifies a doctor, walked through the pages: the session is recorded, the
results entered, and only then does the doctors' registry accept the certification; a doctor
who failed is refused next to the categories field, in Chinese by default."""
import re

from sqlalchemy import select

from portal.doctors.models import DoctorCertification
from portal.training.models import TrainingSession
from tests.training.conftest import certification_form, session_form


def _cert(db_session, doctor):
    return db_session.scalar(select(DoctorCertification).where(
        DoctorCertification.user_id == doctor.id))


def _categories_error(page: str) -> str:
    found = re.search(r'id="categories-error"[^>]*>(.*?)</div>', page, re.DOTALL)
    assert found, "no error next to the categories field"
    return found.group(1)


def test_a_passed_training_qualifies_and_a_failed_one_does_not(
        client, post, coordinator, make_user, hospital, events, db_session):
    passes, fails = make_user("doctor"), make_user("doctor")

    # 1. The session is recorded with its two attendees.
    response = post("/city/training/new", data=session_form(attendees=[passes, fails]))
    assert response.status_code == 302
    session = db_session.scalars(select(TrainingSession)).one()
    assert response.headers["Location"].endswith(f"/city/training/{session.id}")
    assert sorted(a.user_id for a in session.attendees) == sorted([passes.id, fails.id])
    [recorded] = events("training.session_recorded")
    assert recorded.details["doctor_ids"] == sorted([passes.id, fails.id])
    assert recorded.details["categories"] == ["vision", "physical"]

    # 2. Before any result, the registry refuses the certification, next to the field.
    response = post(f"/city/doctors/{passes.id}", data=certification_form(hospital))
    assert response.status_code == 200
    assert "has not passed a training session" in _categories_error(response.get_data(
        as_text=True))
    assert _cert(db_session, passes) is None

    # 3. Results: one passes physical and fails vision, the other fails physical.
    response = post(f"/city/training/{session.id}", data={
        f"result_{passes.id}_physical": "passed", f"result_{passes.id}_vision": "failed",
        f"result_{fails.id}_physical": "failed", f"result_{fails.id}_vision": ""})
    assert response.status_code == 302
    [results] = events("training.results_recorded")
    assert {(r["doctor_id"], r["category"], r["after"]) for r in results.details["results"]} == {
        (passes.id, "physical", "passed"), (passes.id, "vision", "failed"),
        (fails.id, "physical", "failed")}
    page = client.get(f"/city/training/{session.id}").get_data(as_text=True)
    assert re.search(rf'name="result_{passes.id}_physical"[^>]*>.*?'
                     r'<option selected value="passed">', page, re.DOTALL)

    # 4. The doctor who passed physical is now accepted for physical.
    response = post(f"/city/doctors/{passes.id}", data=certification_form(hospital))
    assert response.status_code == 302
    assert _cert(db_session, passes).categories == ["physical"]

    # 5. ... but not for vision, which they failed.
    response = post(f"/city/doctors/{passes.id}", data=certification_form(
        hospital, categories=["physical", "vision"]))
    error = _categories_error(response.get_data(as_text=True))
    assert "Vision" in error and "did not pass the training session of" in error
    assert _cert(db_session, passes).categories == ["physical"]

    # 6. The doctor who failed is refused, and nothing is written.
    response = post(f"/city/doctors/{fails.id}", data=certification_form(
        hospital, number="YN-T-002"))
    assert "did not pass the training session of" in _categories_error(
        response.get_data(as_text=True))
    assert _cert(db_session, fails) is None

    # 7. The certification page shows what the doctor is qualified for.
    page = client.get(f"/city/doctors/{passes.id}").get_data(as_text=True)
    record = page[page.index('id="training-record"'):]
    assert 'data-category="physical"' in record and "passed on" in record
    assert 'data-category="vision"' in record and "failed on" in record


def test_the_refusal_is_chinese_by_default(client, post, login_as, make_user, hospital,
                                          db_session):
    doctor = make_user("doctor")
    login_as(make_user("health_coordinator"))
    response = post(f"/city/doctors/{doctor.id}", data=certification_form(hospital))
    error = _categories_error(response.get_data(as_text=True))
    assert "肢体" in error and "培训" in error
    assert _cert(db_session, doctor) is None


def test_editing_a_session_after_the_fact_is_audited(
        client, post, coordinator, make_user, events, db_session):
    first, second = make_user("doctor"), make_user("doctor")
    assert post("/city/training/new", data=session_form(
        attendees=[first, second])).status_code == 302
    session = db_session.scalars(select(TrainingSession)).one()
    post(f"/city/training/{session.id}", data={
        f"result_{first.id}_physical": "passed", f"result_{first.id}_vision": "passed",
        f"result_{second.id}_physical": "passed"})

    edit = client.get(f"/city/training/{session.id}/edit").get_data(as_text=True)
    assert "芒市人民医院三楼会议室" in edit
    response = post(f"/city/training/{session.id}/edit", data=session_form(
        attendees=[first], categories=["physical"], days_ago=4, trainer="另一位专家"))
    assert response.status_code == 302
    db_session.expire_all()
    session = db_session.get(TrainingSession, session.id)
    assert session.categories == ["physical"]
    assert [a.user_id for a in session.attendees] == [first.id]
    [updated] = events("training.session_updated")
    details = updated.details
    assert details["categories"] == [["vision", "physical"], ["physical"]]
    assert details["doctors_removed"] == [second.id]
    assert details["trainer"] == "changed" and "另一位专家" not in str(details)
    assert {(r["doctor_id"], r["category"]) for r in details["results_removed"]} == {
        (second.id, "physical"), (first.id, "vision")}
    assert details["held_on"][0] != details["held_on"][1]
