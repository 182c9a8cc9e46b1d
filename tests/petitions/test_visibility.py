"""Who sees a petition, through the access policy and through the pages: a petition about a
township's own staff goes to the city and does not exist for that township (lists, detail, the
case page, counts); the petitioner's identity is shown only to the officials handling it."""
from __future__ import annotations

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.petitions.models import Petition
from portal.tenancy import scoped
from tests.petitions.conftest import access, text


def _seen(user, township=None) -> set[int]:
    from portal.extensions import db

    return set(db.session.scalars(scoped(select(Petition.id), access(user, township))))


def test_the_policy_hides_a_petition_about_a_townships_staff_from_that_township(world):
    ordinary = world.petition()
    about_staff = world.petition(about_staff=True)
    other = world.petition(township=world.b, actor=world.staff_b)
    assert (about_staff.unit_kind, about_staff.township_id) == ("city_dpf", world.a.id)
    assert _seen(world.staff, world.a) == {ordinary.id}
    assert _seen(world.staff_b, world.b) == {other.id}
    assert _seen(world.city) == {ordinary.id, about_staff.id, other.id}
    assert _seen(world.supervisor) == {ordinary.id, about_staff.id, other.id}
    # On township A's pages a city role sees A's petitions only.
    assert _seen(world.city, world.a) == {ordinary.id, about_staff.id}
    # The health bureau sees what its units handle or concern; the liaison nothing.
    assert _seen(world.health) == set()
    assert _seen(world.liaison, world.a) == set()


def test_transferring_it_to_that_townships_dpf_is_refused(world):
    from portal.petitions.steps import transfer
    from portal.refusals import Refused

    about_staff = world.petition(about_staff=True)
    try:
        transfer(about_staff, access(world.city), world.city,
                 to=world.Unit("township_dpf", township_id=world.a.id), reason="转乡镇")
    except Refused as refusal:
        assert refusal.code == "petition_staff_to_township"
    else:
        raise AssertionError("a petition about a township's staff went to the township")
    assert about_staff.unit_kind == "city_dpf"


def test_the_pages_of_that_township_do_not_know_it(world, client, sign_in, db_session):
    about_staff = world.petition(about_staff=True, case=world.case, name="举报人丙")
    ordinary = world.petition(case=world.case)
    sign_in(world.staff)
    base = f"/t/{world.a.code}/petitions"
    for view in ("open", "all", "mine", "unit", "due_soon", "overdue"):
        page = text(client.get(f"{base}/", query_string={"view": view}))
        assert about_staff.reference not in page, view
    assert client.get(f"{base}/{about_staff.id}").status_code == 404
    assert client.get(f"{base}/", query_string={"q": about_staff.reference}).status_code == 200
    response = client.post(f"{base}/{about_staff.id}/steps/take",
                           data={"csrf_token": _token(client)})
    assert response.status_code == 404
    case_page = text(client.get(f"/t/{world.a.code}/cases/{world.case.id}"))
    assert ordinary.reference in case_page and about_staff.reference not in case_page
    assert db_session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "access.refused")) is not None
    # The city sees it, and its case page names it.
    sign_in(world.city)
    assert client.get(f"/city/petitions/{about_staff.id}").status_code == 200
    assert about_staff.reference in text(client.get(f"/t/{world.a.code}/cases/{world.case.id}"))


def test_identity_only_for_the_handlers_and_their_view_is_audited(world, client, sign_in,
                                                                  db_session):
    petition = world.petition(name="岩香", case=world.case)
    sign_in(world.staff)  # township A's DPF handles it
    page = text(client.get(f"/t/{world.a.code}/petitions/{petition.id}"))
    assert "岩香" in page and "13900001111" in page
    listing = text(client.get(f"/t/{world.a.code}/petitions/"))
    assert "岩香" not in listing and "岩*" in listing
    viewed = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "petition.identity_viewed")).all()
    assert [e.actor_id for e in viewed] == [world.staff.id]
    assert "岩香" not in str(viewed[0].details)
    for user, url in ((world.supervisor, f"/city/petitions/{petition.id}"),
                      (world.city, f"/city/petitions/{petition.id}")):
        sign_in(user)
        page = text(client.get(url))
        assert "岩香" not in page and "13900001111" not in page
        assert 'class="petitioner-hidden"' in page
    # Once the city DPF handles it, its administrators see who it is, the township no more.
    world.Unit("city_dpf").assign_to(petition)
    db_session.flush()
    assert "岩香" in text(client.get(f"/city/petitions/{petition.id}"))
    sign_in(world.staff)
    assert "岩香" not in text(client.get(f"/t/{world.a.code}/petitions/{petition.id}"))


def test_roles_without_petitions_get_403_and_other_townships_404(world, client, sign_in):
    petition = world.petition()
    sign_in(world.liaison)
    assert client.get(f"/t/{world.a.code}/petitions/").status_code == 403
    assert client.get(f"/t/{world.a.code}/petitions/{petition.id}").status_code == 403
    sign_in(world.staff_b)
    assert client.get(f"/t/{world.b.code}/petitions/{petition.id}").status_code == 404
    assert client.get(f"/t/{world.a.code}/petitions/").status_code == 404
    sign_in(world.supervisor)
    response = client.post(f"/city/petitions/{petition.id}/steps/take",
                           data={"csrf_token": _token(client)})
    assert response.status_code == 403  # supervisors read, they do not handle


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client)
