"""An organised batch end to end: the units' registry, a batch, its people within its places,
the printed list, attendance, absent people moved to a later batch, refusals next to the field,
and one township never seeing another's batch."""
import html
import re
from datetime import date

from sqlalchemy import select

from portal.batches.models import AssessmentBatch, AssistanceUnit, BatchMember
from portal.cases.models import CaseEvent
from tests.batches.conftest import batch_form


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def error_of(response, field_id: str) -> str:
    """The error shown right below the field `field_id` (empty when there is none)."""
    found = re.search(rf'<div id="{field_id}-error" class="invalid-feedback" role="alert">'
                      r"(.*?)</div>", text(response), re.DOTALL)
    return found.group(1) if found else ""


def _batch(db_session, **where) -> AssessmentBatch:
    stmt = select(AssessmentBatch).filter_by(**where).order_by(AssessmentBatch.id.desc())
    return db_session.scalars(stmt).first()


def _member(db_session, batch, case) -> BatchMember:
    return db_session.scalars(select(BatchMember).where(BatchMember.batch_id == batch.id,
                                                        BatchMember.case_id == case.id)).one()


def test_a_batch_from_registry_to_attendance_and_a_later_batch(
        db_session, make_township, make_user, login_as, post, client, hospital, make_case,
        events):
    town, other = make_township(), make_township()
    login_as(make_user("township_staff", town))
    base = f"/t/{town.code}/batches"

    # The assistance units' registry: a unit helping the township.
    assert post(f"{base}/units", {"name": "市民政局帮扶工作队", "contact": "李四 0692-1234567"}
                ).status_code == 302
    unit = db_session.scalars(select(AssistanceUnit)
                              .where(AssistanceUnit.name == "市民政局帮扶工作队")).one()
    assert [link.township_id for link in unit.links] == [town.id]
    assert "市民政局帮扶工作队" in text(client.get(f"{base}/units"))

    # A batch organised by the unit, two places at the hospital that day.
    response = post(f"{base}/new", batch_form(hospital, organiser="unit", unit=unit.id))
    assert response.status_code == 302, error_of(response, "unit")
    batch = _batch(db_session, category="intellectual")
    assert (batch.unit_id, batch.places, batch.made_in_id) == (unit.id, 2, town.id)

    first, second, third = (make_case(town, name=n) for n in ("王一", "王二", "王三"))
    limb = make_case(town, category="physical", name="赵肢")
    records = make_case(town, category="mental", name="钱病历", records=True)

    # More people than places: refused next to the field, nobody added.
    response = post(f"{base}/{batch.id}/add", {"add-cases": [first.id, second.id, third.id]})
    assert response.status_code == 422
    assert "医院当天给本批次 2 个名额" in error_of(response, "add-cases")
    db_session.refresh(first)
    assert (first.state, first.path) == ("registered", "concentrated")

    # Another category, and mental illness with hospital records: refused with the reason.
    response = post(f"{base}/{batch.id}/add", {"add-cases": [limb.id]})
    assert response.status_code == 422
    assert "赵肢" in error_of(response, "add-cases")
    assert "本批次只收智力残疾" in error_of(response, "add-cases")
    response = post(f"{base}/{batch.id}/add", {"add-cases": [records.id]})
    assert "第一书记" in error_of(response, "add-cases")
    assert "病历" in error_of(response, "add-cases")

    # Within the places: each case takes the batch path and is scheduled.
    assert post(f"{base}/{batch.id}/add", {"add-cases": [first.id, second.id]}
                ).status_code == 302
    for case in (first, second):
        db_session.refresh(case)
        assert (case.path, case.state) == ("batch", "scheduled")
    # The batch is full now: one more is refused.
    response = post(f"{base}/{batch.id}/add", {"add-cases": [third.id]})
    assert "已占 2 个" in error_of(response, "add-cases")

    # The printable list: every person, a signature column, transport and companions.
    page = text(client.get(f"{base}/{batch.id}/print"))
    assert "王一" in page and "王二" in page and "王三" not in page
    assert '<th scope="col">签名</th>' in page
    assert "中巴车" in page and "监护人" in page

    # Attendance: the one who came goes on to the doctor, the absent one waits.
    one, two = _member(db_session, batch, first), _member(db_session, batch, second)
    assert post(f"{base}/{batch.id}/attendance",
                {f"member_{one.id}": "attended", f"member_{two.id}": "absent"}
                ).status_code == 302
    db_session.refresh(first)
    db_session.refresh(second)
    assert (first.path, first.state) == ("batch", "scheduled")
    assert [e.action for e in db_session.scalars(select(CaseEvent).where(
        CaseEvent.case_id == first.id).order_by(CaseEvent.id))] == ["schedule",
                                                                   "batch_attended"]
    assert (second.path, second.state) == ("batch", "registered")

    # The absent person moves to a later batch of the same category.
    assert post(f"{base}/new", batch_form(hospital, held_on="2020-06-10", places="5")
                ).status_code == 302
    later = _batch(db_session, held_on=date(2020, 6, 10))
    response = post(f"{base}/{batch.id}/move", {"move-member": two.id, "move-target": later.id})
    assert response.status_code == 302, error_of(response, "move-target")
    db_session.refresh(second)
    db_session.refresh(two)
    assert (second.state, two.status, two.moved_to_id) == ("scheduled", "moved", later.id)
    assert _member(db_session, later, second).status == "invited"
    # The first batch's place of the moved person is free again.
    assert post(f"{base}/{batch.id}/add", {"add-cases": [third.id]}).status_code == 302

    # A mental-illness batch takes those without hospital records.
    assert post(f"{base}/new", batch_form(hospital, category="mental", places="3")
                ).status_code == 302
    mental = _batch(db_session, category="mental")
    without = make_case(town, category="mental", name="孙无病历", records=False)
    assert post(f"{base}/{mental.id}/add", {"add-cases": [without.id]}).status_code == 302
    response = post(f"{base}/{mental.id}/add", {"add-cases": [records.id]})
    assert "监护人和村第一书记" in error_of(response, "add-cases")

    assert events() == ["batch.unit_created", "batch.created", "batch.persons_added",
                        "batch.attendance_recorded", "batch.created", "batch.persons_added",
                        "batch.person_moved", "batch.persons_added", "batch.created",
                        "batch.persons_added"]

    # Another township sees neither the batch nor its people.
    login_as(make_user("township_staff", other))
    assert client.get(f"/t/{other.code}/batches/{batch.id}").status_code == 404
    assert client.get(f"/t/{other.code}/batches/{batch.id}/print").status_code == 404
    listing = text(client.get(f"/t/{other.code}/batches/"))
    assert "芒市人民医院（测试）" not in listing
    assert post(f"/t/{other.code}/batches/{batch.id}/add",
                {"add-cases": [third.id]}).status_code == 404


def test_places_cannot_drop_below_the_people_on_the_batch(
        db_session, make_township, make_user, login_as, post, hospital, make_case, events):
    town = make_township()
    login_as(make_user("township_staff", town))
    base = f"/t/{town.code}/batches"
    assert post(f"{base}/new", batch_form(hospital, places="3")).status_code == 302
    batch = _batch(db_session, category="intellectual")
    cases = [make_case(town, name=n) for n in ("周一", "周二")]
    assert post(f"{base}/{batch.id}/add", {"add-cases": [c.id for c in cases]}
                ).status_code == 302
    edit = {"places": "1", "status": "planned", "transport": "", "companions": "", "note": ""}
    response = post(f"{base}/{batch.id}/edit", edit)
    assert response.status_code == 422
    assert "本批次已有 2 人" in error_of(response, "places")
    assert post(f"{base}/{batch.id}/edit", {**edit, "places": "2"}).status_code == 302
    db_session.refresh(batch)
    assert batch.places == 2 and events()[-1] == "batch.updated"
