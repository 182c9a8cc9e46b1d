"""Deterministic demo data: villages, synthetic persons on both rosters, one user per role.

Everything about the people is drawn from `random.Random(seed)`, so the same seed gives the same
people and ID numbers on every machine; only the demo users' passwords are truly random.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import func, select

from portal.audit.services import record_event
from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.services import (
    add_membership,
    create_user,
    generate_password,
)
from portal.clock import local_today
from portal.domain import idcard
from portal.extensions import db
from portal.models_base import utcnow
from portal.reference.models import Township, Village
from portal.rosters.models import (
    CATEGORIES,
    Guardianship,
    Person,
    PovertyAssignment,
    RosterEntry,
)
from portal.rosters.services import name_keys

AREA_CODE = idcard.MANGSHI_AREA_CODE
# Ages are computed against the survey phase of the reference campaign, not the clock,
# so that a seed gives the same birth dates whenever it runs.
REFERENCE_DAY = date(2020, 4, 1)
SURVEY_DAYS = (date(2020, 4, 1), date(2020, 4, 15))
CATEGORY_DIGITS = {"vision": 1, "hearing": 2, "speech": 3, "physical": 4, "intellectual": 5,
                   "mental": 6, "multiple": 7}
BATCH = 2_000

# Plausible villages and residents' committees of each unit (demo data, not a gazetteer).
VILLAGES: dict[str, list[str]] = {
    "manghai": ["芒海村", "吕英村", "杏万村", "户拉村", "芒杏村", "邦外村"],
    "zhongshan": ["中山村", "赛岗村", "黄家寨村", "小辛寨村", "板栽村", "芒良村", "马脖子村"],
    "mengga": ["勐戛村", "勐稳村", "芒蚌村", "弄么村", "香菜塘村", "勐旺村"],
    "zhefang": ["遮放村", "芒丙村", "允欠村", "户那村", "弄坎村", "拉勐村", "河边寨村", "贺南毛村"],
    "mangshi": ["团结社区", "光明社区", "芒核村", "下东村", "芒里村", "法帕村"],
    "xishan": ["西山村", "营盘村", "弄丙村", "毛讲村", "芒约村", "板过村"],
    "wuchalu": ["五岔路村", "芒弄村", "弯丹村", "梁子寨村", "遮冒村"],
    "jiangdong": ["江东村", "河头村", "高埂田村", "李子坪村", "花拉场村"],
    "xuangang": ["轩岗村", "芒棒村", "芒回村", "坝托村", "轩蚌村", "芒广村"],
    "santaishan": ["三台山村", "出冬瓜村", "帮东村", "勐丹村"],
    "fengping": ["风平村", "遮晏村", "拉院村", "那目村", "芒别村", "芒展村", "班允村"],
    "zhefang-farm": ["一分场", "二分场", "三分场", "四分场"],
    "menghuan": ["勐焕社区", "菩提社区", "金孔雀社区", "芒晃社区", "芒满社区"],
}

# Share of the demo population per unit (rough, by size).
TOWNSHIP_WEIGHTS = {
    "manghai": 6, "zhongshan": 6, "mengga": 8, "zhefang": 10, "mangshi": 12, "xishan": 6,
    "wuchalu": 7, "jiangdong": 6, "xuangang": 7, "santaishan": 4, "fengping": 10,
    "zhefang-farm": 3, "menghuan": 15,
}

ETHNICITIES = [("汉族", 36), ("傣族", 30), ("景颇族", 15), ("德昂族", 5), ("阿昌族", 5),
               ("傈僳族", 5), ("佤族", 2), ("白族", 2)]

HAN_SURNAMES = "李王张杨刘陈赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
HAN_MALE = ["伟", "强", "军", "勇", "磊", "建华", "建国", "志明", "国平", "德富", "明", "文华",
            "家富", "正云", "永福", "光荣", "海", "云龙", "金山", "春生", "红兵", "俊杰"]
HAN_FEMALE = ["芳", "丽", "秀英", "桂英", "玉兰", "红梅", "敏", "静", "春花", "丽华", "美兰",
              "雪梅", "海燕", "小燕", "金凤", "兰芬", "秀珍", "艳", "婷", "琼"]
DAI_SURNAMES = "方线孟刀思龚郎帕"
DAI_MALE = ["岩温", "岩保", "岩帕", "岩罕", "岩香", "岩应", "岩嫩", "岩庄", "岩拉", "岩过"]
DAI_FEMALE = ["玉香", "玉罕", "玉喃", "玉帕", "玉应", "玉叶", "玉嫩", "玉康", "玉过", "玉万"]
JINGPO_SURNAMES = ["排", "岳", "何", "石", "董", "金", "雷", "木然", "勒排", "沙万", "孔木"]
JINGPO_MALE = ["早", "干", "诺", "腊", "锐", "堵", "当", "勒", "都", "用"]
JINGPO_FEMALE = ["果", "鲁", "扎", "楠", "南", "木", "途", "普", "哥", "边"]
PHONE_PREFIXES = ["133", "135", "138", "139", "150", "151", "157", "158", "180", "187", "189"]
RELATIONS = ["子女", "配偶", "父母", "兄弟姐妹", "孙子女"]


@dataclass
class DemoResult:
    """What one run of the demo seed did."""

    villages_created: int = 0
    persons_created: int = 0
    persons_skipped: int = 0
    entries_created: int = 0
    holders_created: int = 0
    users: list[tuple[str, str, str | None]] = field(default_factory=list)
    living: object = None  # demo_campaign.LivingResult


def _age(rng: random.Random) -> int:
    """Ages 0–95, skewed towards the old as disability is."""
    if rng.random() < 0.12:
        return rng.randint(0, 17)
    return min(95, max(18, int(rng.triangular(18, 96, 72))))


def _birth_date(rng: random.Random, age: int) -> date:
    latest = REFERENCE_DAY.replace(year=REFERENCE_DAY.year - age)
    return latest - timedelta(days=rng.randint(0, 364))


def _name(rng: random.Random, ethnicity: str, gender: str) -> str:
    male = gender == "male"
    if ethnicity == "傣族":
        return rng.choice(DAI_SURNAMES) + rng.choice(DAI_MALE if male else DAI_FEMALE)
    if ethnicity == "景颇族":
        return rng.choice(JINGPO_SURNAMES) + rng.choice(JINGPO_MALE if male else JINGPO_FEMALE)
    return rng.choice(HAN_SURNAMES) + rng.choice(HAN_MALE if male else HAN_FEMALE)


def _phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def generate_people(count: int, seed: int,
                    villages: dict[str, list[str]] | None = None) -> list[dict]:
    """Synthetic persons as plain dicts (pure: no database), the same for the same seed."""
    rng = random.Random(seed)
    villages = VILLAGES if villages is None else villages
    codes = [code for code in villages if villages[code]]
    weights = [TOWNSHIP_WEIGHTS.get(code, 5) for code in codes]
    ethnic_names = [e for e, _w in ETHNICITIES]
    ethnic_weights = [w for _e, w in ETHNICITIES]
    used: set[str] = set()
    people = []
    survey_span = (SURVEY_DAYS[1] - SURVEY_DAYS[0]).days
    for _ in range(count):
        code = rng.choices(codes, weights)[0]
        village = rng.choice(villages[code])
        gender = rng.choice(("male", "female"))
        age = _age(rng)
        while True:
            birth = _birth_date(rng, age)
            # Odd sequence numbers are men, even are women (GB 11643).
            sequence = rng.randrange(500) * 2 + (1 if gender == "male" else 0)
            number = idcard.make(AREA_CODE, birth, sequence)
            if number not in used:
                used.add(number)
                break
        ethnicity = rng.choices(ethnic_names, ethnic_weights)[0]
        name = _name(rng, ethnicity, gender)
        bedridden = rng.random() < 0.10
        mobility = "bedridden" if bedridden else rng.choices(
            ("can_travel", "limited"), (85, 15))[0]
        category = rng.choice(CATEGORIES)
        person = {
            "township_code": code,
            "village_name": village,
            "name": name,
            "gender": gender,
            "ethnicity": ethnicity,
            "id_number": number,
            "birth_date": birth,
            "phone": _phone(rng) if rng.random() < 0.7 else "",
            "address": f"{village}{rng.randint(1, 12)}组",
            "mobility": mobility,
            "poverty_registered": rng.random() < 0.15,
            "guardian_name": "",
            "guardian_phone": "",
            "relation": "",
            "list_kind": "expired" if rng.random() < 0.45 else "suspected",
            "category": category,
            "grade": rng.randint(1, 4),
            "expires_on": date(rng.randint(2010, 2020), rng.randint(1, 12), rng.randint(1, 28)),
            "survey_date": SURVEY_DAYS[0] + timedelta(days=rng.randint(0, survey_span)),
            "medical_records": rng.random() < 0.4,
        }
        needs_guardian = (age < 18 or bedridden or category in ("intellectual", "mental")
                          or age >= 85)
        if needs_guardian and rng.random() < 0.8:
            guardian_gender = rng.choice(("male", "female"))
            person["guardian_name"] = _name(rng, ethnicity, guardian_gender)
            person["guardian_phone"] = _phone(rng)
            person["relation"] = rng.choice(RELATIONS)
        people.append(person)
    return people


def ensure_villages() -> int:
    """Create the demo villages missing in each township; return how many were created."""
    townships = {t.code: t for t in db.session.scalars(select(Township))}
    existing = {(v.township_id, v.name) for v in db.session.scalars(select(Village))}
    created = 0
    for code, names in VILLAGES.items():
        township = townships.get(code)
        if township is None:
            continue
        for name in names:
            if (township.id, name) not in existing:
                db.session.add(Village(township_id=township.id, name=name))
                created += 1
    db.session.flush()
    return created


@lru_cache(maxsize=20_000)
def _keys(name: str) -> tuple[str, str]:
    return name_keys(name)


def _person_row(p: dict, township_id: int, village_id: int | None) -> dict:
    pinyin, initials = _keys(p["name"])
    number = p["id_number"]
    expired = p["list_kind"] == "expired"
    return {
        "township_id": township_id,
        "village_id": village_id,
        "name": p["name"],
        "name_pinyin": pinyin,
        "name_initials": initials,
        "gender": p["gender"],
        "ethnicity": p["ethnicity"],
        "id_number": number,
        "id_reversed": number[::-1],
        "birth_date": p["birth_date"],
        "phone": p["phone"],
        "address": p["address"],
        "mobility": p["mobility"],
        "poverty_registered": p["poverty_registered"],
        "deceased": False,
        "guardian_name": p["guardian_name"],
        "guardian_phone": p["guardian_phone"],
        "certificate_number": (f"{number}{CATEGORY_DIGITS[p['category']]}{p['grade']}"
                               if expired else None),
        "certificate_category": p["category"] if expired else None,
        "certificate_grade": p["grade"] if expired else None,
        "certificate_expires_on": p["expires_on"] if expired else None,
    }


def _entry_row(p: dict, township_id: int, person_id: int) -> dict:
    suspected = p["list_kind"] == "suspected"
    return {
        "township_id": township_id,
        "person_id": person_id,
        "list_kind": p["list_kind"],
        "status": "open",
        "source": "survey",
        "survey_date": p["survey_date"],
        "suspected_category": p["category"] if suspected else None,
        "medical_records": p["medical_records"] if suspected else None,
        "notes": "",
    }


def _insert_rows(table, rows: list[dict]) -> None:
    """Insert many rows: COPY on PostgreSQL (seconds for 100,000), executemany elsewhere."""
    if not rows:
        return
    now = utcnow()
    columns = list(rows[0]) + [c for c in ("created_at", "updated_at") if c in table.c]
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        names = ", ".join(columns)
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row.get(c, now) for c in columns])
        return
    connection.execute(table.insert(), [{c: row.get(c, now) for c in columns} for row in rows])


def insert_people(people: list[dict]) -> tuple[int, int, int]:
    """Bulk-insert persons and their roster entries; skip ID numbers already stored."""
    townships = {t.code: t.id for t in db.session.scalars(select(Township))}
    village_ids = {
        (tid, name): vid
        for vid, tid, name in db.session.execute(
            select(Village.id, Village.township_id, Village.name))
    }
    existing = set(db.session.scalars(
        select(Person.id_number).where(Person.id_number.like(f"{AREA_CODE}%"))
    ))
    fresh = [p for p in people if p["id_number"] not in existing and p["township_code"] in townships]
    created = entries = 0
    for start in range(0, len(fresh), BATCH):
        chunk = fresh[start:start + BATCH]
        rows = []
        for p in chunk:
            tid = townships[p["township_code"]]
            rows.append(_person_row(p, tid, village_ids.get((tid, p["village_name"]))))
        _insert_rows(Person.__table__, rows)
        ids = dict(db.session.execute(
            select(Person.id_number, Person.id).where(
                Person.id_number.in_([row["id_number"] for row in rows]))
        ).all())
        entry_rows = [
            _entry_row(p, townships[p["township_code"]], ids[p["id_number"]]) for p in chunk
        ]
        _insert_rows(RosterEntry.__table__, entry_rows)
        created += len(rows)
        entries += len(entry_rows)
    db.session.flush()
    return created, len(people) - created, entries


# username, display name, role, township code (township roles only)
DEMO_USERS = [
    ("demo_admin", "市残联管理员", Role.CITY_ADMIN, None),
    ("demo_supervisor", "督查室", Role.SUPERVISOR, None),
    ("demo_health", "市卫健局", Role.HEALTH_COORDINATOR, None),
    ("demo_staff", "芒市镇残联", Role.TOWNSHIP_STAFF, "mangshi"),
    ("demo_liaison", "芒市镇村联络员", Role.VILLAGE_LIAISON, "mangshi"),
    ("demo_cadre", "芒市镇帮扶干部", Role.POVERTY_CADRE, "mangshi"),
    ("demo_doctor", "评残医生", Role.DOCTOR, None),
    ("demo_guardian", "监护人", Role.GUARDIAN, None),
]


def _mangshi_person_ids(township_id: int, *conditions, limit: int) -> list[int]:
    stmt = (select(Person.id).where(Person.township_id == township_id, *conditions)
            .order_by(Person.id).limit(limit))
    return list(db.session.scalars(stmt))


def ensure_demo_users() -> list[tuple[str, str, str | None]]:
    """One user per role; new ones get a random password (returned once), old ones keep theirs."""
    mangshi = db.session.execute(
        select(Township).where(Township.code == "mangshi")).scalar_one()
    result = []
    for username, display, role, township_code in DEMO_USERS:
        if db.session.execute(select(User.id).where(User.username == username)).first():
            result.append((username, role.value, None))
            continue
        password = generate_password()
        user = create_user(username, password, display_name=display)
        township = mangshi if township_code else None
        villages = None
        if role == Role.VILLAGE_LIAISON:
            villages = list(db.session.scalars(
                select(Village).where(Village.township_id == mangshi.id)
                .order_by(Village.id).limit(2)))
        add_membership(user, role, township, villages)
        if role == Role.POVERTY_CADRE:
            for pid in _mangshi_person_ids(mangshi.id, Person.poverty_registered.is_(True),
                                           limit=12):
                db.session.add(PovertyAssignment(
                    township_id=mangshi.id, user_id=user.id, person_id=pid,
                    started_on=local_today() - timedelta(days=60)))
        if role == Role.GUARDIAN:
            for pid in _mangshi_person_ids(mangshi.id, Person.mobility == "bedridden", limit=2):
                db.session.add(Guardianship(township_id=mangshi.id, user_id=user.id,
                                            person_id=pid, relation="子女"))
        db.session.flush()
        result.append((username, role.value, password))
    return result


def seed_demo(persons: int = 2000, seed: int = 1) -> DemoResult:
    """Load villages, `persons` synthetic persons and the demo users (reference data first)."""
    from portal.demo.register import scale_estimates, seed_register
    from portal.reference.seed import load_reference

    if not db.session.scalar(select(func.count()).select_from(Township)):
        load_reference()
    result = DemoResult()
    result.villages_created = ensure_villages()
    # Drawn from the fixed village list, not the database, so a seed always gives the same people.
    people = generate_people(persons, seed)
    result.persons_created, result.persons_skipped, result.entries_created = insert_people(people)
    result.holders_created = seed_register(result.persons_created, seed)
    result.users = ensure_demo_users()
    admin = db.session.execute(select(User).where(User.username == "demo_admin")).scalar_one()
    if result.persons_created:
        scale_estimates(admin.id)
    from portal.clock import local_today
    from portal.demo.campaign import seed_living_campaign

    result.living = seed_living_campaign(persons, seed, local_today())
    record_event("demo.seed", object_type="demo", details={
        "seed": seed, "persons": result.persons_created, "skipped": result.persons_skipped,
        "holders": result.holders_created, "campaign": result.living.campaign_code,
        "cases": result.living.cases,
    })
    db.session.flush()
    return result
