"""The doctors' registry: health coordinator registers and edits certifications."""
from datetime import timedelta

from sqlalchemy import select

from portal.clock import local_today
from portal.doctors.models import DoctorCertification
from tests.training.helpers import pass_training


def _form(hospital, **overrides):
    today = local_today()
    data = {
        "number": "YN-2020-001", "hospital": str(hospital.id), "categories": ["physical"],
        "valid_from": (today - timedelta(days=10)).isoformat(),
        "valid_until": (today + timedelta(days=400)).isoformat(), "active": "y",
    }
    data.update(overrides)
    return data


def test_coordinator_registers_a_certification(client, post, login_as, make_user, hospital,
                                               events, db_session):
    doctor = make_user("doctor")
    pass_training(db_session, doctor, ["physical", "vision"])
    login_as(make_user("health_coordinator"))
    response = post(f"/city/doctors/{doctor.id}",
                    data=_form(hospital, categories=["physical", "vision"]))
    assert response.status_code == 302
    cert = db_session.scalar(select(DoctorCertification).where(
        DoctorCertification.user_id == doctor.id))
    assert cert.number == "YN-2020-001"
    assert cert.categories == ["physical", "vision"]
    assert cert.hospital_id == hospital.id
    [event] = events("doctor.certification_created")
    assert event.details["doctor_id"] == doctor.id
    page = client.get("/city/doctors").get_data(as_text=True)
    assert "YN-2020-001" in page and "Valid" in page


def test_editing_renews_and_is_audited(post, login_as, make_user, certify, hospital, events,
                                       db_session):
    doctor = make_user("doctor")
    cert = certify(doctor, valid_until=local_today() - timedelta(days=5))
    pass_training(db_session, doctor, ["physical"])
    login_as(make_user("city_admin"))
    new_end = local_today() + timedelta(days=700)
    response = post(f"/city/doctors/{doctor.id}",
                    data=_form(hospital, number=cert.number,
                               valid_until=new_end.isoformat()))
    assert response.status_code == 302
    db_session.refresh(cert)
    assert cert.valid_until == new_end
    assert events("doctor.certification_updated")


def test_list_flags_missing_expired_and_expiring(client, login_as, make_user, certify):
    make_user("doctor", username="doc_none")
    certify(make_user("doctor", username="doc_expired"),
            valid_until=local_today() - timedelta(days=5))
    certify(make_user("doctor", username="doc_soon"),
            valid_until=local_today() + timedelta(days=20))
    login_as(make_user("health_coordinator"))
    page = client.get("/city/doctors").get_data(as_text=True)
    rows = {name: page[page.index(name):page.index("</tr>", page.index(name))]
            for name in ("doc_none", "doc_expired", "doc_soon")}
    assert "No certification" in rows["doc_none"]
    assert "Expired" in rows["doc_expired"]
    assert "Expires within 60 days" in rows["doc_soon"]


def test_number_is_unique(post, login_as, make_user, certify, hospital, db_session):
    taken = certify(make_user("doctor"))
    doctor = make_user("doctor")
    login_as(make_user("health_coordinator"))
    response = post(f"/city/doctors/{doctor.id}", data=_form(hospital, number=taken.number))
    assert response.status_code == 200
    assert "Another doctor already has this certification number." in response.get_data(
        as_text=True)
    assert db_session.scalar(select(DoctorCertification).where(
        DoctorCertification.user_id == doctor.id)) is None


def test_dates_must_be_in_order(post, login_as, make_user, hospital):
    doctor = make_user("doctor")
    login_as(make_user("health_coordinator"))
    response = post(f"/city/doctors/{doctor.id}", data=_form(
        hospital, valid_from="2021-01-01", valid_until="2020-01-01"))
    assert "must not be before its start" in response.get_data(as_text=True)


def test_only_doctor_accounts_can_be_certified(post, login_as, make_user, hospital, make_township):
    staff = make_user("township_staff", make_township())
    login_as(make_user("health_coordinator"))
    assert post(f"/city/doctors/{staff.id}", data=_form(hospital)).status_code == 404


def test_registry_needs_manage_doctors(client, login_as, make_user, make_township):
    login_as(make_user("supervisor"))
    assert client.get("/city/doctors").status_code == 403
    login_as(make_user("township_staff", make_township()))
    assert client.get("/city/doctors").status_code == 404
    login_as(make_user("doctor"))
    assert client.get("/city/doctors").status_code == 404
