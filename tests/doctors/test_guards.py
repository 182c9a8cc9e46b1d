"""The signing guards sit on the workflow table itself: every path to a signed assessment
(the assessment form, the case page, a future caller) is checked."""
from datetime import timedelta

import pytest

from portal.cases.workflow import apply_transition
from portal.clock import local_today
from portal.refusals import Refused
from portal.tenancy import access_for


def _access(user, db_session, case):
    from portal.reference.models import Township

    return access_for(user, db_session.get(Township, case.township_id))


@pytest.fixture
def scene(make_township, make_user, make_person, make_case, certify):
    township = make_township()
    doctor = make_user("doctor")
    case = make_case(make_person(township), doctor, requested_category="physical")
    return {"township": township, "doctor": doctor, "case": case}


def _sign(case, actor, db_session, action="record_assessment", **data):
    data.setdefault("category", "physical")
    return apply_transition(case, action, actor=actor, access=_access(actor, db_session, case),
                            **data)


@pytest.mark.parametrize(("cert", "category", "code"), [
    (None, "physical", "doctor_not_certified"),
    ({"valid_until": local_today() - timedelta(days=5)}, "physical", "certification_expired"),
    ({"valid_from": local_today() + timedelta(days=5)}, "physical",
     "certification_not_yet_valid"),
    ({"active": False}, "physical", "certification_inactive"),
    ({}, "vision", "category_not_certified"),
])
def test_record_assessment_refused_without_a_valid_certification(
        scene, certify, db_session, cert, category, code):
    if cert is not None:
        certify(scene["doctor"], ["physical"], **cert)
    with pytest.raises(Refused) as refused:
        _sign(scene["case"], scene["doctor"], db_session, category=category)
    assert refused.value.code == code
    assert scene["case"].state == "scheduled"


def test_record_assessment_passes_with_a_valid_certification(scene, certify, db_session):
    certify(scene["doctor"], ["physical"])
    _sign(scene["case"], scene["doctor"], db_session)
    assert scene["case"].state == "assessed"


def test_second_review_needs_a_different_certified_doctor(scene, certify, make_user,
                                                         db_session):
    certify(scene["doctor"], ["physical"])
    case = scene["case"]
    _sign(case, scene["doctor"], db_session)
    case.second_doctor_id = scene["doctor"].id
    with pytest.raises(Refused) as refused:
        _sign(case, scene["doctor"], db_session, action="request_second_review")
    assert refused.value.code == "second_doctor_is_first"
    uncertified = make_user("doctor")
    case.second_doctor_id = uncertified.id
    with pytest.raises(Refused) as refused:
        _sign(case, scene["doctor"], db_session, action="request_second_review")
    assert refused.value.code == "second_doctor_not_certified"
    certify(uncertified, ["physical"])
    _sign(case, scene["doctor"], db_session, action="request_second_review")
    assert case.state == "second_review"
    # Only the second doctor confirms, not the first one.
    with pytest.raises(Refused) as refused:
        _sign(case, scene["doctor"], db_session, action="confirm_second_review")
    assert refused.value.code == "not_second_doctor"
    _sign(case, uncertified, db_session, action="confirm_second_review")
    assert case.state == "assessed"


def test_second_doctor_who_is_guardian_cannot_confirm(scene, certify, make_user, db_session):
    from portal.rosters.models import Guardianship

    certify(scene["doctor"], ["physical"])
    case = scene["case"]
    second = make_user("doctor")
    certify(second, ["physical"])
    _sign(case, scene["doctor"], db_session)
    case.second_doctor_id = second.id
    _sign(case, scene["doctor"], db_session, action="request_second_review")
    db_session.add(Guardianship(township_id=case.township_id, user_id=second.id,
                                person_id=case.person_id))
    db_session.flush()
    with pytest.raises(Refused) as refused:
        _sign(case, second, db_session, action="confirm_second_review")
    assert refused.value.code == "doctor_is_guardian"
