"""Signing an assessment: outcome on the case, mismatch → second review, exceptions,
certification and independence of the doctor."""
from datetime import timedelta

from sqlalchemy import select

from portal.assessments.models import Assessment, SecondReview
from portal.audit.models import AuditEvent
from portal.clock import local_today
from portal.rosters.models import Guardianship

LIMB_4 = {"limb_clause": "one_lower_leg_missing", "limb_without_aids": "y"}


def _page(response) -> str:
    return response.get_data(as_text=True)


def _assessments(db_session, case):
    return db_session.scalars(select(Assessment).where(Assessment.case_id == case.id)).all()


def test_matching_grade_moves_the_case_to_assessed(setup, sign, db_session, events):
    s = setup()
    case = s["case"]
    response = sign(case, s["doctor"], "physical", LIMB_4, outcome="4",
                    evidence_note="Examined at the township hospital.")
    assert response.status_code == 302, _page(response)[:3000]
    db_session.refresh(case)
    assert (case.state, case.category, case.grade) == ("assessed", "physical", 4)
    [assessment] = _assessments(db_session, case)
    assert assessment.implied_grade == 4 and assessment.grade == 4
    assert assessment.measurements["limb_clause"] == "one_lower_leg_missing"
    assert assessment.doctor_id == s["doctor"].id and assessment.age_years == 40
    [event] = events("assessment.signed")
    assert event.details["mismatch"] is False
    assert [e.action for e in case.events] == ["record_assessment"]


def test_not_disabled_needs_a_reason(setup, sign, db_session):
    s = setup()
    case = s["case"]
    values = {"limb_clause": "", "limb_without_aids": "y"}
    response = sign(case, s["doctor"], "physical", values, outcome="none")
    assert "Write why the person is not disabled." in _page(response)
    response = sign(case, s["doctor"], "physical", values, outcome="none",
                    not_disabled_reason="Full function of all limbs.", login=False)
    assert response.status_code == 302
    db_session.refresh(case)
    assert case.state == "assessed" and case.grade is None
    assert case.not_disabled_reason == "Full function of all limbs."


def test_mismatch_requires_a_reason(setup, sign, db_session):
    s = setup()
    response = sign(s["case"], s["doctor"], "physical", LIMB_4, outcome="3")
    assert "write your reason" in _page(response)
    db_session.refresh(s["case"])
    assert s["case"].state == "scheduled" and not _assessments(db_session, s["case"])


def test_mismatch_goes_to_a_different_certified_second_doctor(
        setup, sign, db_session, make_user, certify, post, login_as, client):
    s = setup()
    case, doctor = s["case"], s["doctor"]
    reason = {"mismatch_reason": "Stump too short for a prosthesis."}
    # No second doctor chosen.
    response = sign(case, doctor, "physical", LIMB_4, outcome="3", **reason)
    assert "Choose a second doctor" in _page(response)
    # The same doctor cannot review their own grade.
    response = sign(case, doctor, "physical", LIMB_4, outcome="3", login=False,
                    second_doctor=str(doctor.id), **reason)
    assert "must be a different doctor" in _page(response)
    # A doctor certified for another category only cannot review.
    eye_doctor = make_user("doctor")
    certify(eye_doctor, ["vision"])
    response = sign(case, doctor, "physical", LIMB_4, outcome="3", login=False,
                    second_doctor=str(eye_doctor.id), **reason)
    assert "not certified for this category" in _page(response)
    db_session.refresh(case)
    assert case.state == "scheduled"
    # A certified colleague: the case waits for the second review.
    second = make_user("doctor")
    certify(second, ["physical"])
    response = sign(case, doctor, "physical", LIMB_4, outcome="3", login=False,
                    second_doctor=str(second.id), **reason)
    assert response.status_code == 302
    db_session.refresh(case)
    assert case.state == "second_review" and case.second_doctor_id == second.id
    assert case.grade == 3
    [assessment] = _assessments(db_session, case)
    assert assessment.implied_grade == 4 and assessment.mismatch_reason == reason[
        "mismatch_reason"]
    # The first doctor cannot sign the review.
    code = case_code(db_session, case)
    assert post(f"/t/{code}/assessments/{case.id}/review",
                data={"decision": "agree"}).status_code == 403
    # The second doctor confirms: the case can proceed.
    login_as(second)
    response = post(f"/t/{code}/assessments/{case.id}/review", data={"decision": "agree"})
    assert response.status_code == 302
    db_session.refresh(case)
    assert case.state == "assessed" and case.grade == 3
    [review] = db_session.scalars(select(SecondReview)).all()
    assert review.agrees and review.doctor_id == second.id


def case_code(db_session, case) -> str:
    from portal.reference.models import Township

    return db_session.get(Township, case.township_id).code


def test_second_doctor_disagreeing_returns_the_case(setup, sign, db_session, make_user,
                                                    certify, post, login_as):
    s = setup()
    case = s["case"]
    second = make_user("doctor")
    certify(second, ["physical"])
    sign(case, s["doctor"], "physical", LIMB_4, outcome="2", second_doctor=str(second.id),
         mismatch_reason="Looks worse.")
    login_as(second)
    url = f"/t/{case_code(db_session, case)}/assessments/{case.id}/review"
    assert "Write why you disagree." in _page(post(url, data={"decision": "disagree"}))
    # The refusal rolled the request back; the assessment it showed again is still audited.
    assert db_session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "assessment.view", AuditEvent.actor_id == second.id)).all() == [
        {"case_id": case.id, "via": "review"}]
    response = post(url, data={"decision": "disagree", "note": "Clause 4 fits."})
    assert response.status_code == 302
    db_session.refresh(case)
    assert case.state == "scheduled" and case.grade is None and case.category is None
    # The case's doctor assesses again.
    response = sign(case, s["doctor"], "physical", LIMB_4, outcome="4")
    assert response.status_code == 302
    db_session.refresh(case)
    assert case.state == "assessed"


def test_second_doctor_whose_certification_lapsed_cannot_confirm(
        setup, sign, db_session, make_user, certify, post, login_as):
    s = setup()
    case = s["case"]
    second = make_user("doctor")
    cert = certify(second, ["physical"])
    sign(case, s["doctor"], "physical", LIMB_4, outcome="3", second_doctor=str(second.id),
         mismatch_reason="Reason.")
    cert.valid_until = local_today() - timedelta(days=5)
    db_session.flush()
    login_as(second)
    response = post(f"/t/{case_code(db_session, case)}/assessments/{case.id}/review",
                    data={"decision": "agree"})
    assert "certification has expired" in _page(response)
    db_session.refresh(case)
    assert case.state == "second_review"


# --- certification and independence of the signing doctor ------------------------------

def test_expired_certification_blocks_signing(setup, sign, db_session, make_user, certify,
                                              make_case, person_aged):
    s = setup()
    doctor = make_user("doctor")
    certify(doctor, ["physical"], valid_until=local_today() - timedelta(days=5))
    case = make_case(person_aged(s["township"], 40), doctor)  # one open case per person
    response = sign(case, doctor, "physical", LIMB_4, outcome="4")
    assert response.status_code == 200
    assert "certification has expired" in _page(response)
    db_session.refresh(case)
    assert case.state == "scheduled" and not _assessments(db_session, case)


def test_switched_off_certification_blocks_signing(setup, sign, db_session, make_user,
                                                   certify, make_case, person_aged):
    s = setup()
    doctor = make_user("doctor")
    certify(doctor, ["physical"], active=False)
    case = make_case(person_aged(s["township"], 40), doctor)  # one open case per person
    assert "switched off in the registry" in _page(
        sign(case, doctor, "physical", LIMB_4, outcome="4"))


def test_doctor_without_certification_is_blocked(setup, sign, db_session, make_user,
                                                 make_case, person_aged):
    s = setup()
    doctor = make_user("doctor")
    case = make_case(person_aged(s["township"], 40), doctor)  # one open case per person
    response = sign(case, doctor, "physical", LIMB_4, outcome="4")
    assert "Ask the health coordinator to register it" in _page(response)
    db_session.refresh(case)
    assert case.state == "scheduled"


def test_category_outside_the_certification_blocks_signing(setup, sign, db_session):
    s = setup(categories=("vision",))
    response = sign(s["case"], s["doctor"], "physical", LIMB_4, outcome="4")
    assert "does not cover this disability category" in _page(response)
    db_session.refresh(s["case"])
    assert s["case"].state == "scheduled"
    # The category the doctor holds is accepted.
    response = sign(s["case"], s["doctor"], "vision", {"vision_acuity": "0.2"}, outcome="4",
                    login=False)
    assert response.status_code == 302


def test_guardian_doctor_is_refused(setup, sign, db_session):
    s = setup()
    db_session.add(Guardianship(township_id=s["township"].id, user_id=s["doctor"].id,
                                person_id=s["person"].id, relation="son"))
    db_session.flush()
    response = sign(s["case"], s["doctor"], "physical", LIMB_4, outcome="4")
    assert "registered as guardian or agent of this person" in _page(response)
    db_session.refresh(s["case"])
    assert s["case"].state == "scheduled"


def test_doctor_working_as_staff_of_the_township_is_refused(setup, sign, db_session):
    from portal.auth.services import add_membership

    s = setup()
    add_membership(s["doctor"], "township_staff", s["township"], None)
    db_session.flush()
    response = sign(s["case"], s["doctor"], "physical", LIMB_4, outcome="4")
    assert "You work as staff of this person" in _page(response)
    db_session.refresh(s["case"])
    assert s["case"].state == "scheduled"


def test_only_the_assigned_doctor_reaches_the_form(setup, client, login_as, post, make_user,
                                                   certify, db_session):
    s = setup()
    case = s["case"]
    url = f"/t/{case_code(db_session, case)}/assessments/{case.id}/new"
    other = make_user("doctor")
    certify(other, ["physical"])
    login_as(other)
    assert client.get(url).status_code == 404  # not their case, not their township
    staff = make_user("township_staff", s["township"])
    login_as(staff)
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/assessments/{case.id}")
    assert post(url, data={"outcome": "4", "sign": "y"}).status_code == 403
    login_as(s["doctor"])
    page = _page(client.get(url + "?category=physical"))
    assert "Clause of the standard" in page and s["person"].name in page
    assert s["person"].id_number not in page


# --- the seed's exceptions -----------------------------------------------------------------

def _stroke(months="6"):
    return {"limb_clause": "plegia_cannot_walk", "limb_without_aids": "y",
            "exception": "stroke_over_60", "months_since_onset": months, "method": "records"}


def test_stroke_exception_refused_at_59(setup, sign, db_session):
    s = setup(age=59)
    response = sign(s["case"], s["doctor"], "physical", _stroke(), outcome="2")
    assert "only for persons aged 60 or more" in _page(response)
    db_session.refresh(s["case"])
    assert s["case"].state == "scheduled"


def test_stroke_exception_accepted_at_60(setup, sign, db_session):
    s = setup(age=60)
    response = sign(s["case"], s["doctor"], "physical", _stroke(), outcome="2")
    assert response.status_code == 302, _page(response)[:2000]
    [assessment] = _assessments(db_session, s["case"])
    assert assessment.exception == "stroke_over_60"
    assert assessment.exception_details == {"months_since_onset": 6}


def test_rehab_exception_not_needed_after_a_year(setup, sign):
    s = setup(age=70)
    response = sign(s["case"], s["doctor"], "physical", _stroke(months="12"), outcome="2")
    assert "rehabilitation year is over" in _page(response)


def test_obvious_limb_loss_needs_a_missing_limb_clause(setup, sign, db_session):
    s = setup(age=30)
    values = {"limb_clause": "plegia_cannot_walk", "limb_without_aids": "y",
              "exception": "obvious_limb_loss", "months_since_onset": "2"}
    response = sign(s["case"], s["doctor"], "physical", values, outcome="2")
    assert "needs a clause of a missing limb" in _page(response)
    values["limb_clause"] = "both_thighs_missing"
    response = sign(s["case"], s["doctor"], "physical", values, outcome="2", login=False)
    assert response.status_code == 302


def test_mental_records_exception_records_who_brought_them(setup, sign, db_session):
    s = setup(requested_category="mental")
    values = {"mental_whodas": "100", "mental_duration_months": "36",
              "exception": "mental_hospital_records", "method": "concentrated"}
    response = sign(s["case"], s["doctor"], "mental", values, outcome="3")
    assert "choose “From medical records”" in _page(response)
    values["method"] = "records"
    response = sign(s["case"], s["doctor"], "mental", values, outcome="3", login=False)
    assert "Enter who brought the hospital records." in _page(response)
    values.update(records_brought_by="李四", first_secretary="王书记")
    response = sign(s["case"], s["doctor"], "mental", values, outcome="3", login=False)
    assert response.status_code == 302
    [assessment] = _assessments(db_session, s["case"])
    assert assessment.exception_details == {"records_brought_by": "李四",
                                            "first_secretary": "王书记"}


def test_organised_batch_only_for_its_categories(setup, sign):
    s = setup()
    response = sign(s["case"], s["doctor"], "physical",
                    dict(LIMB_4, exception="organised_batch"), outcome="4")
    assert "Organised batches are for intellectual, vision and hearing" in _page(response)
    response = sign(s["case"], s["doctor"], "hearing",
                    {"hearing_db": "50", "exception": "organised_batch"}, outcome="4",
                    login=False)
    assert response.status_code == 302


def test_review_page_shows_the_grades_and_reason(setup, sign, db_session, make_user, certify,
                                                 client, login_as):
    s = setup()
    case = s["case"]
    second = make_user("doctor")
    certify(second, ["physical"])
    sign(case, s["doctor"], "physical", LIMB_4, outcome="3", second_doctor=str(second.id),
         mismatch_reason="Short stump, poor balance.")
    login_as(second)
    code = case_code(db_session, case)
    page = _page(client.get(f"/t/{code}/assessments/{case.id}/review"))
    assert "Short stump, poor balance." in page
    assert "Grade 4" in page and "Grade 3" in page
    assert s["person"].id_number not in page
    # The case page of the workflow links here.
    assert f"/assessments/{case.id}" in _page(client.get(f"/t/{code}/cases/{case.id}"))
