"""The officials' lists (mine, my unit's, due within 3 days, overdue, extensions to approve) and
what petitions add to a case's and a certificate's page."""
from __future__ import annotations

import re
from datetime import date, timedelta

from portal.petitions import steps
from tests.petitions.conftest import START, access, text


def _rows(page: str) -> int:
    return page.count('class="petition-row')


def test_mine_my_units_due_soon_and_overdue(world, clock, client, sign_in, english):
    taken = world.petition()
    steps.take(taken, access(world.staff, world.a), world.staff)
    world.petition(received_on=START - timedelta(days=5))  # due 5 days earlier
    world.petition(unit=world.Unit("city_dpf"))  # concerns A, handled by the city
    clock.set(START + timedelta(days=12))  # first two: due in 3 days and overdue by 2
    sign_in(world.staff)
    base = f"/t/{world.a.code}/petitions/"

    def listed(view: str) -> int:
        return _rows(text(english.get(base, query_string={"view": view})))

    assert (listed("open"), listed("mine"), listed("unit"), listed("due_soon"),
            listed("overdue")) == (3, 1, 2, 2, 1)
    sign_in(world.other_staff)
    assert (listed("mine"), listed("unit")) == (0, 2)
    sign_in(world.city)
    page = text(english.get("/city/petitions/", query_string={"view": "unit"}))
    assert _rows(page) == 1


def test_extensions_to_approve_are_listed_for_the_approving_role(world, clock, client,
                                                                 sign_in, english):
    petition = world.petition()
    staff = access(world.staff, world.a)
    steps.decide_acceptance(petition, staff, world.staff, accept=True, note="",
                            told_on=clock.today, told_how="phone")
    steps.request_extension(petition, staff, world.staff, days=10, reason="需调查")
    sign_in(world.approver)
    page = text(english.get("/city/petitions/", query_string={"view": "approval"}))
    assert petition.reference in page
    board = text(english.get("/city/dashboard/"))
    assert "Extensions to approve" in board
    detail = text(english.get(f"/city/petitions/{petition.id}"))
    assert 'id="step-extension"' in detail
    sign_in(world.health)
    assert _rows(text(english.get("/city/petitions/", query_string={"view": "approval"}))) == 0


def test_the_reference_number_finds_a_petition(world, client, sign_in, english):
    wanted, other = world.petition(), world.petition()
    sign_in(world.staff)
    page = text(english.get(f"/t/{world.a.code}/petitions/",
                            query_string={"q": wanted.reference.lower()}))
    assert wanted.reference in page and other.reference not in page


def test_a_case_and_its_certificate_show_their_open_petition(world, clock, client, sign_in,
                                                            db_session):
    from portal.certificates.models import Certificate, DispatchBatch, PrintBatch

    batch = PrintBatch(township_id=world.a.id, state="printed", issue_date=date(2026, 1, 5),
                       created_by_id=world.city.id)
    dispatch = DispatchBatch(township_id=world.a.id, sent_count=1, sent_by_id=world.city.id,
                             sent_on=date(2026, 1, 6))
    db_session.add_all([batch, dispatch])
    db_session.flush()
    certificate = Certificate(
        township_id=world.a.id, case_id=world.case.id, live_case_id=world.case.id,
        person_id=world.person.id, number=world.person.id_number + "42", category="physical",
        grade=2, issue_date=date(2026, 1, 5), expires_on=date(2036, 1, 5), token="pet-cert",
        print_batch_id=batch.id, printed_on=date(2026, 1, 5), dispatch_batch_id=dispatch.id)
    db_session.add(certificate)
    db_session.flush()
    sign_in(world.staff)
    case_url = f"/t/{world.a.code}/cases/{world.case.id}"
    cert_url = f"/t/{world.a.code}/certificates/certificate/{certificate.id}"
    page = text(client.get(case_url))
    assert 'class="alert alert-warning open-petitions"' not in page
    assert f"/petitions/new?case={world.case.id}" in page  # record one about this case
    form = text(client.get(f"/t/{world.a.code}/petitions/new",
                           query_string={"case": world.case.id}))
    assert re.search(rf'name="case_number"[^>]*value="{world.case.id}"', form)
    petition = world.petition(case=world.case)
    for url in (case_url, cert_url):
        page = text(client.get(url))
        assert 'open-petitions' in page and petition.reference in page, url
    staff = access(world.staff, world.a)
    steps.decide_acceptance(petition, staff, world.staff, accept=True, note="",
                            told_on=clock.today, told_how="phone")
    steps.answer(petition, staff, world.staff, text="已答复")
    db_session.flush()
    assert petition.reference not in text(client.get(case_url))  # answered: no longer open


def test_overdue_rows_for_other_lists_name_no_one(world, clock, db_session):
    from portal.petitions.queries import overdue_by_township, overdue_items

    late = world.petition()
    world.petition(unit=world.Unit("city_dpf"))  # overdue too, but not the township's DPF
    world.petition(township=world.b, actor=world.staff_b)
    clock.set(START + timedelta(days=16))
    city = access(world.city)
    assert overdue_items(city, world.a, clock.today) == [
        {"kind": "petition_acceptance_overdue", "ref": f"petition:{late.id}",
         "since": late.due_on.isoformat()}]
    assert overdue_by_township(city, clock.today) == {world.a.id: 1, world.b.id: 1}
    assert overdue_by_township(access(world.staff, world.a), clock.today) == {world.a.id: 1}
