"""`flask seed demo`: deterministic valid people, both rosters, one user per role; the overview."""
import re
from collections import Counter
from datetime import date

from sqlalchemy import func, select

from portal.auth.models import User
from portal.auth.roles import Role
from portal.demo.people import CATEGORY_DIGITS, DEMO_USERS, generate_people
from portal.domain import idcard
from portal.reference.models import Township, Village
from portal.rosters.models import Guardianship, Person, PovertyAssignment, RosterEntry


def test_same_seed_same_people_and_valid_ids():
    first = generate_people(500, seed=42)
    again = generate_people(500, seed=42)
    other = generate_people(500, seed=43)
    assert [p["id_number"] for p in first] == [p["id_number"] for p in again]
    assert [p["name"] for p in first] == [p["name"] for p in again]
    assert [p["id_number"] for p in first] != [p["id_number"] for p in other]
    assert len({p["id_number"] for p in first}) == 500
    for p in first:
        parsed = idcard.parse(p["id_number"])
        assert parsed.area_code == "533103"
        assert parsed.gender == p["gender"]
        assert parsed.birth_date == p["birth_date"]
        assert 0 <= parsed.age_on(parsed.birth_date.replace(year=2020)) <= 96


def test_population_shape():
    people = generate_people(3000, seed=5)
    ethnicities = Counter(p["ethnicity"] for p in people)
    assert {"汉族", "傣族", "景颇族", "德昂族", "阿昌族", "傈僳族"} <= set(ethnicities)
    share = lambda pred: sum(1 for p in people if pred(p)) / len(people)
    assert 0.07 < share(lambda p: p["mobility"] == "bedridden") < 0.13
    assert 0.11 < share(lambda p: p["poverty_registered"]) < 0.19
    assert 0.40 < share(lambda p: p["list_kind"] == "expired") < 0.50
    assert share(lambda p: p["guardian_name"] != "") > 0.05
    assert share(lambda p: p["birth_date"].year <= 1960) > 0.4  # skewed older
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", p["name"]) for p in people)
    assert len({p["township_code"] for p in people}) == 13


def _seed(runner, *args):
    result = runner.invoke(args=["seed", "demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_demo_counts_users_and_rerun(runner, db_session):
    from portal.register.models import HolderEntry

    output = _seed(runner, "--persons", "300", "--seed", "9")
    # The register of holders in the plan's proportion: 9,675 for every 14,225 others.
    holders = round(300 * 9675 / (23900 - 9675))
    # ... plus the demo campaign's handovers, which join the register.
    imported = select(func.count()).select_from(HolderEntry).where(
        HolderEntry.source == "national_db")
    assert db_session.scalar(imported) == holders
    assert db_session.scalar(select(func.count()).select_from(Person)) == 300 + holders
    assert db_session.scalar(select(func.count()).select_from(RosterEntry)) == 300
    assert db_session.scalar(select(func.count()).select_from(Township)) == 13
    per_township = db_session.execute(
        select(Village.township_id, func.count()).group_by(Village.township_id)).all()
    assert len(per_township) == 13 and all(4 <= n <= 8 for _t, n in per_township)

    users = db_session.scalars(select(User).where(User.username.in_(
        [username for username, *_rest in DEMO_USERS])))
    roles = Counter(m.role for u in users for m in u.memberships)
    assert roles == Counter({r.value: 1 for r in Role})
    passwords = re.findall(r"^(demo_\w+)\s+(\w+)\s+([A-Za-z0-9]{16})$", output, re.MULTILINE)
    assert len(passwords) == len(Role)

    # The shown password logs in.
    username, _role, password = passwords[0]
    client = runner.app.test_client()
    from tests.conftest import csrf_token

    response = client.post("/auth/login", data={
        "username": username, "password": password, "csrf_token": csrf_token(client)})
    assert response.status_code == 302

    guardian = db_session.execute(select(User).where(User.username == "demo_guardian")).scalar_one()
    linked = db_session.scalars(
        select(Person).join(Guardianship, Guardianship.person_id == Person.id)
        .where(Guardianship.user_id == guardian.id)).all()
    assert len(linked) == 2 and all(p.mobility == "bedridden" for p in linked)
    mangshi = db_session.execute(select(Township).where(Township.code == "mangshi")).scalar_one()
    assert {p.township_id for p in linked} == {mangshi.id}
    cadre = db_session.execute(select(User).where(User.username == "demo_cadre")).scalar_one()
    assigned = db_session.scalars(
        select(Person).join(PovertyAssignment, PovertyAssignment.person_id == Person.id)
        .where(PovertyAssignment.user_id == cadre.id)).all()
    assert assigned and all(p.poverty_registered for p in assigned)
    liaison = db_session.execute(select(User).where(User.username == "demo_liaison")).scalar_one()
    assert len(liaison.memberships[0].villages) == 2

    again = _seed(runner, "--persons", "300", "--seed", "9")
    assert "persons created: 0, already present: 300" in again
    assert "exists; password unchanged" in again
    assert not re.findall(r"^demo_\w+\s+\w+\s+[A-Za-z0-9]{16}$", again, re.MULTILINE)
    assert db_session.scalar(select(func.count()).select_from(Person)) == 300 + holders
    assert db_session.scalar(imported) == holders


def test_seeded_rows_are_consistent(runner, db_session):
    _seed(runner, "--persons", "200", "--seed", "3")
    from portal.register.models import HolderEntry

    persons = db_session.scalars(select(Person)).all()
    holders = {e.person_id: e for e in db_session.scalars(select(HolderEntry))}
    assert len(persons) == 200 + len(holders) and holders
    for person in persons:
        parsed = idcard.parse(person.id_number)
        assert person.gender == parsed.gender and person.birth_date == parsed.birth_date
        assert person.id_reversed == person.id_number[::-1]
        assert person.name_pinyin and person.name_initials
        assert person.village_id is not None
        if person.id in holders:  # a holder in the register, on no survey list
            held = holders[person.id]
            assert not person.roster_entries
            assert held.certificate_number == person.certificate_number == (
                person.id_number + str(CATEGORY_DIGITS[held.category]) + str(held.grade))
            assert held.expires_on > date(2020, 3, 11) and held.source == "national_db"
            continue
        entry = person.roster_entries[0]
        if entry.list_kind == "expired":
            assert person.certificate_number == (
                person.id_number + str(CATEGORY_DIGITS[person.certificate_category])
                + str(person.certificate_grade))
            assert 2010 <= person.certificate_expires_on.year <= 2020
        else:
            assert entry.suspected_category and person.certificate_number is None


def test_city_overview_counts(runner, client, login_as, make_user, db_session):
    _seed(runner, "--persons", "250", "--seed", "4")
    login_as(make_user("supervisor"))
    response = client.get("/city/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    mangshi = db_session.execute(select(Township).where(Township.code == "mangshi")).scalar_one()
    persons = db_session.scalars(select(Person).where(Person.township_id == mangshi.id)).all()
    kinds = [p.roster_entries[0].list_kind for p in persons if p.roster_entries]
    row = re.search(r'href="/t/mangshi/persons">芒市镇</a></th>(.*?)</tr>', page, re.DOTALL).group(1)
    numbers = [int(n) for n in re.findall(r'<td class="text-end">(\d+)</td>', row)]
    assert numbers == [
        len(persons), kinds.count("expired"), kinds.count("suspected"),
        sum(p.poverty_registered for p in persons),
        sum(p.mobility == "bedridden" for p in persons),
    ]
    assert "2020-05-13" in row
    total = re.search(r"<tfoot>.*?</tfoot>", page, re.DOTALL).group(0)
    holders = round(250 * 9675 / (23900 - 9675))
    assert f'<td class="text-end">{250 + holders}</td>' in total


def test_city_overview_is_city_only(client, login_as, make_user, make_township):
    township = make_township()
    login_as(make_user("township_staff", township))
    assert client.get("/city/").status_code == 404
