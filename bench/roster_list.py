"""Roster list and search at 10,000 and 1,000,000 persons on PostgreSQL, through the real app.

    python -m bench.roster_list --database-url postgresql://postgres@127.0.0.1:5432/bench_roster

Creates (and afterwards drops) two databases, the named one and a sibling "<name>_small",
builds their schemas with the migrations, loads 13 townships into each and with PostgreSQL
COPY 10,000 persons into the small one and the same 10,000 plus 990,000 more into the large
one (VACUUM ANALYZE after each load), then measures the people list of one township as its
staff member sees it on both, requests to the two databases alternating so that a busy
moment of a shared machine slows both alike, and prints the medians with the ratio
1M ÷ 10k per operation and overall (goal: ≤ 1.5).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import psycopg
from sqlalchemy import event, select

from bench.common import (
    PASSWORD,
    fresh_database,
    geometric_mean,
    logged_in_client,
    make_app,
)

GOAL = 1.5
MEASURED_TOWNSHIP = "mangshi"
# Share of the county's persons per township (roughly the number of villages of each).
TOWNSHIP_WEIGHTS = {
    "manghai": 6, "zhongshan": 6, "mengga": 8, "zhefang": 10, "mangshi": 12, "xishan": 6,
    "wuchalu": 7, "jiangdong": 6, "xuangang": 7, "santaishan": 4, "fengping": 10,
    "zhefang-farm": 3, "menghuan": 15,
}
AREA_CODES = ("533103", "533102", "533122", "533123", "533124")
SURNAMES = ("李王张杨刘陈赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
            "方线孟刀思龚郎帕排岳石金雷")
GIVEN = ("伟强军勇磊华国明平富文家正云永福光荣海龙山春生红兵俊杰芳丽秀英桂玉兰梅敏静花美雪燕凤芬珍"
         "艳婷琼岩温保罕香应嫩庄拉过喃康万早干诺腊锐堵当勒都用果鲁扎楠南木途普哥边德志建成忠仁义")
ETHNICITIES = ("汉族", "傣族", "景颇族", "德昂族", "阿昌族", "傈僳族")
MOBILITY = (("can_travel", 80), ("limited", 12), ("bedridden", 8))
PERSON_COLUMNS = (
    "township_id", "village_id", "name", "name_pinyin", "name_initials", "gender", "ethnicity",
    "id_number", "id_reversed", "birth_date", "phone", "address", "mobility",
    "poverty_registered", "deceased", "guardian_name", "guardian_phone", "created_at",
    "updated_at",
)


@dataclass
class Operation:
    label: str
    queries: list[dict]


def name_pool(rng: random.Random, size: int) -> list[tuple[str, str, str]]:
    """Distinct names with their pinyin and initials, computed once and then sampled."""
    from portal.rosters.services import name_keys

    names: set[str] = set()
    while len(names) < size:
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        names.add(rng.choice(SURNAMES) + given)
    return [(n, *name_keys(n)) for n in sorted(names)]


def seed_reference(app) -> tuple[dict[int, list[int]], dict[int, str]]:
    """The 13 townships, their villages and a staff member of the measured township."""
    from portal.auth.services import add_membership, create_user
    from portal.extensions import db
    from portal.reference.models import Township, Village
    from portal.reference.seed import load_reference

    with app.app_context():
        load_reference()
        villages: dict[int, list[int]] = {}
        for township in db.session.scalars(select(Township)):
            count = TOWNSHIP_WEIGHTS.get(township.code, 6) * 2
            rows = [Village(township_id=township.id, name=f"{township.name}第{n}村")
                    for n in range(1, count + 1)]
            db.session.add_all(rows)
            db.session.flush()
            villages[township.id] = [v.id for v in rows]
            if township.code == MEASURED_TOWNSHIP:
                staff = create_user("bench_staff", PASSWORD)
                add_membership(staff, "township_staff", township)
        db.session.commit()
        codes = dict(db.session.execute(select(Township.id, Township.code)).all())
    return {tid: villages[tid] for tid in sorted(villages)}, codes


def person_rows(rng, count, villages, weights, names, seen_ids):
    """`count` synthetic persons as tuples in PERSON_COLUMNS order."""
    from portal.domain.idcard import make

    township_ids = list(villages)
    now = datetime.now(UTC)
    first_day, span = date(1925, 1, 1), (date(2019, 12, 31) - date(1925, 1, 1)).days
    mobility = [m for m, _ in MOBILITY]
    mobility_weights = [w for _, w in MOBILITY]
    chosen_townships = rng.choices(township_ids, weights, k=count)
    for township_id in chosen_townships:
        while True:
            seq = rng.randrange(1000)
            number = make(rng.choice(AREA_CODES), first_day + timedelta(rng.randrange(span)), seq)
            if number not in seen_ids:
                seen_ids.add(number)
                break
        name, pinyin, initials = rng.choice(names)
        yield (
            township_id, rng.choice(villages[township_id]), name, pinyin, initials,
            "male" if seq % 2 else "female", rng.choice(ETHNICITIES), number, number[::-1],
            date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
            f"13{rng.randrange(10**9):09d}", "", rng.choices(mobility, mobility_weights)[0],
            rng.random() < 0.2, False, "", "", now, now,
        )


def load_persons(url, rng, count, villages, weights, names, seen_ids,
                 rollback: bool = False) -> float:
    """COPY `count` persons and put them on the two lists; returns seconds taken. With
    `rollback`, the same work is done and then undone (a control: the machine as busy as by
    a load, the data unchanged)."""
    started = time.perf_counter()
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain) as conn:
        with conn.cursor() as cur:
            after = cur.execute("SELECT coalesce(max(id), 0) FROM persons").fetchone()[0]
            columns = ", ".join(PERSON_COLUMNS)
            with cur.copy(f"COPY persons ({columns}) FROM STDIN") as copy:
                for row in person_rows(rng, count, villages, weights, names, seen_ids):
                    copy.write_row(row)
            # About 40% expired holders, 65% suspected (some on both), statuses spread.
            cur.execute(
                """
                INSERT INTO roster_entries (township_id, person_id, list_kind, status, source,
                                            survey_date, notes, created_at, updated_at)
                SELECT p.township_id, p.id, k.kind,
                       CASE WHEN (p.id::bigint * 40503) %% 100 < 70 THEN 'open'
                            WHEN (p.id::bigint * 40503) %% 100 < 85 THEN 'in_progress'
                            WHEN (p.id::bigint * 40503) %% 100 < 93 THEN 'certified'
                            WHEN (p.id::bigint * 40503) %% 100 < 97 THEN 'not_qualified'
                            ELSE 'withdrawn' END,
                       'survey', DATE '2020-04-01' + (p.id %% 30)::int, '', now(), now()
                FROM persons p
                JOIN (VALUES ('expired'), ('suspected')) AS k(kind)
                  ON (k.kind = 'expired' AND (p.id::bigint * 2654435761) %% 100 < 40)
                  OR (k.kind = 'suspected' AND (p.id::bigint * 2654435761) %% 100 >= 35)
                WHERE p.id > %s
                """,
                (after,),
            )
        if rollback:
            conn.rollback()
        else:
            conn.commit()
        conn.autocommit = True
        # A live server's autovacuum would have done this after a bulk load: statistics,
        # hint bits and the visibility map (index-only scans). Measuring a table that was
        # never vacuumed would time the first reads rewriting every page instead.
        conn.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - started


def pick_operations(app, township_code: str, samples: int) -> list[Operation]:
    """Search terms taken from persons of the measured township (kept for both sizes)."""
    from portal.extensions import db
    from portal.reference.models import Township
    from portal.rosters.models import Person

    with app.app_context():
        township = db.session.scalar(select(Township).where(Township.code == township_code))
        people = db.session.scalars(
            select(Person).where(Person.township_id == township.id).order_by(Person.id)
        ).all()
        step = max(1, len(people) // samples)
        picked = people[::step][:samples]
        return [
            Operation("search name prefix", [{"q": p.name[:2]} for p in picked]),
            Operation("search pinyin initials", [{"q": p.name_initials[:2]} for p in picked]),
            Operation("search last 4 ID digits", [{"q": p.id_number[-4:]} for p in picked]),
            Operation("filter combination", [
                {"list_kind": "suspected", "status": "open", "poverty": "yes",
                 "mobility": mobility, "village": p.village_id}
                for p, mobility in zip(picked, ["can_travel", "limited", "bedridden"] * samples)
            ]),
        ]


def list_operations(app, township_code: str) -> tuple[list[Operation], int, int]:
    """First page and the middle of the pages the list offers at the current size."""
    from portal.extensions import db
    from portal.reference.models import Township
    from portal.rosters.models import Person

    with app.app_context():
        total = db.session.scalar(
            select(db.func.count(Person.id)).join(Township)
            .where(Township.code == township_code)
        )
        cap, per_page = app.config["PERSONS_COUNT_CAP"], app.config["PERSONS_PER_PAGE"]
    last_page = max(1, -(-min(total, cap) // per_page))
    return [
        Operation("list first page", [{}]),
        Operation("list middle page", [{"page": max(1, last_page // 2)}]),
    ], total, last_page


def measure(clients: dict[int, object], township_code: str,
            operations: dict[int, list[Operation]], repeat: int) -> dict[int, dict[str, float]]:
    """Median milliseconds of each operation at each size, the sizes' requests interleaved.

    Requests to the small and the large database alternate (which goes first alternates
    too), so a busy moment of a shared machine slows both sides alike instead of one phase.
    """
    base = f"/t/{township_code}/persons"
    sizes = list(clients)
    results: dict[int, dict[str, float]] = {size: {} for size in sizes}
    for index, label in enumerate(op.label for op in operations[sizes[0]]):
        urls = {}
        for size in sizes:
            op = operations[size][index]
            urls[size] = [f"{base}?{urlencode(q)}" if q else base for q in op.queries]
            for url in urls[size]:
                response = clients[size].get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {url} answered {response.status_code}")
                if f"{base}/" not in response.get_data(as_text=True):
                    print(f"  warning: no person listed for {url}", file=sys.stderr)
                for _ in range(2):  # warm-up
                    clients[size].get(url).get_data()
        times: dict[int, list[float]] = {size: [] for size in sizes}
        for turn in range(repeat * len(urls[sizes[0]])):
            order = sizes if turn % 2 == 0 else sizes[::-1]
            for size in order:
                url = urls[size][turn % len(urls[size])]
                started = time.perf_counter()
                clients[size].get(url).get_data()
                times[size].append((time.perf_counter() - started) * 1000)
        for size in sizes:
            results[size][label] = statistics.median(times[size])
    return results


def explain_slowest(app, client, township_code, query: dict) -> str:
    """EXPLAIN ANALYZE of the slowest SQL statement one request of `query` runs."""
    from portal.extensions import db

    captured = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        captured.append((time.perf_counter() - conn.info["started"], statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        client.get(f"/t/{township_code}/persons?{urlencode(query)}").get_data()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    seconds, statement, parameters = max(captured, key=lambda c: c[0])
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        lines = [row[0] for row in plan]
    return f"slowest statement ({seconds * 1000:.1f} ms):\n{statement}\n{parameters}\n" + \
        "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/bench_roster")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10,
                        help="requests per search term (5 terms per search operation)")
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE of operations that miss the goal")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("the benchmark runs on PostgreSQL")

    small_url = _sibling(args.database_url, "_small")
    with (fresh_database(args.database_url, keep=args.keep) as large_url,
          fresh_database(small_url, keep=args.keep) as small_url):
        apps, clients, operations = {}, {}, {}
        searches = None
        for size, url in ((args.small, small_url), (args.large, large_url)):
            # The same seed for both databases: the large one holds the small one's persons
            # (same ids, names, villages) and 990,000 more.
            rng = random.Random(20200507)
            app = apps[size] = make_app(url)
            villages, codes = seed_reference(app)
            weights = [TOWNSHIP_WEIGHTS.get(codes[tid], 6) for tid in villages]
            names = name_pool(rng, 20_000)
            seen: set[str] = set()
            seconds = load_persons(url, rng, args.small, villages, weights, names, seen)
            if size == args.large:
                seconds += load_persons(url, rng, size - args.small, villages, weights, names,
                                        seen)
            lists, in_township, last_page = list_operations(app, MEASURED_TOWNSHIP)
            print(f"{size:>9,} persons loaded in {seconds:.0f} s; township "
                  f"{MEASURED_TOWNSHIP}: {in_township:,} persons, middle page "
                  f"{lists[1].queries[0]['page']} of {last_page}")
            if searches is None:  # terms from the small database: found in both
                searches = pick_operations(app, MEASURED_TOWNSHIP, 5)
            clients[size] = logged_in_client(app, "bench_staff")
            operations[size] = lists + searches
        figures = measure(clients, MEASURED_TOWNSHIP, operations, args.repeat)
        report(figures, args.small, args.large)
        if args.explain:
            by_label = {op.label: op for op in operations[args.large]}
            for label, small_ms in figures[args.small].items():
                if figures[args.large][label] / small_ms > GOAL:
                    print(f"\n== {label}")
                    print(explain_slowest(apps[args.large], clients[args.large],
                                          MEASURED_TOWNSHIP, by_label[label].queries[0]))
        for app in apps.values():
            with app.app_context():
                from portal.extensions import db

                db.engine.dispose()
    ratios = [figures[args.large][k] / figures[args.small][k] for k in figures[args.small]]
    return 0 if geometric_mean(ratios) <= GOAL else 1


def _sibling(url: str, suffix: str) -> str:
    """`url` with `suffix` added to its database name."""
    head, _, name = url.rpartition("/")
    return f"{head}/{name}{suffix}"


def report(figures: dict[int, dict[str, float]], small: int, large: int) -> None:
    """The table of medians and ratios."""
    head = f"{'operation':<28}{f'{small:,}':>12}{f'{large:,}':>12}{'ratio':>8}  goal ≤ {GOAL}"
    print("\nmedian milliseconds per request (people list of one township, staff member)")
    print(head)
    print("-" * len(head))
    ratios = []
    for label, small_ms in figures[small].items():
        large_ms = figures[large][label]
        ratio = large_ms / small_ms
        ratios.append(ratio)
        verdict = "ok" if ratio <= GOAL else "MISSED"
        print(f"{label:<28}{small_ms:>12.1f}{large_ms:>12.1f}{ratio:>8.2f}  {verdict}")
    total_small = sum(figures[small].values())
    total_large = sum(figures[large].values())
    overall = geometric_mean(ratios)
    print("-" * len(head))
    print(f"{'all (sum of medians)':<28}{total_small:>12.1f}{total_large:>12.1f}"
          f"{total_large / total_small:>8.2f}")
    print(f"overall ratio 1M ÷ 10k (geometric mean): {overall:.2f}  "
          f"{'ok' if overall <= GOAL else 'MISSED'} (goal ≤ {GOAL})")


if __name__ == "__main__":
    sys.exit(main())
