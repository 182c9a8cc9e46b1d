"""The guardian portal offers the join button of the applicant's own video assessment only."""
from portal.rosters.models import Guardianship
from tests.video.conftest import local_input, soon


def test_guardian_sees_join_button_of_own_case_only(client, post, login_as, video_case,
                                                    make_user, db_session):
    case, other = video_case["case"], video_case["other_case"]
    code = video_case["township"].code
    guardian = make_user("guardian")
    db_session.add(Guardianship(township_id=case.township_id, user_id=guardian.id,
                                person_id=case.person_id, relation="mother"))
    db_session.flush()

    login_as(guardian)
    assert "/join/" not in client.get(f"/g/persons/{case.person_id}").get_data(as_text=True)

    login_as(video_case["doctor"])
    assert post(f"/t/{code}/video/cases/{case.id}",
                {"scheduled_at": local_input(soon())}).status_code == 302
    login_as(video_case["other_doctor"])
    assert post(f"/t/{code}/video/cases/{other.id}",
                {"scheduled_at": local_input(soon())}).status_code == 302

    login_as(guardian)
    page = client.get(f"/g/persons/{case.person_id}").get_data(as_text=True)
    assert page.count('href="http://localhost/join/') == 1
    assert client.get(f"/g/persons/{other.person_id}").status_code == 404
