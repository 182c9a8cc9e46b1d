"""Benchmark: importing a generated 25,000-row Attachment 2 (suspected persons) file.

Reported as end-to-end import time (read, validate, match, write, commit) divided by the time
to merely read the same file with the same reader (python-calamine). Goal: ratio ≤ 3. The
import is `bulk.import_file`, the code path of the web confirm and of the CLI, with its
commit; remembered pinyin is forgotten before each run. Its phases overlap: rows are written
while the next ones are validated, so "read+validate" includes writing, and "write" is what
remains to be written once the last row has been validated.

    python -m bench.roster_import                      # temporary SQLite database
    python -m bench.roster_import --database-url postgresql://postgres@127.0.0.1:5432/bench
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

GOAL = 3.0
HEADER = ["序号", "姓名", "性别", "民族", "公民身份号码", "所在村（社区）", "联系电话",
          "是否建档立卡贫困户", "行动能力", "疑似残疾类别", "是否有病历", "监护人姓名",
          "监护人电话", "备注"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红金凤文福荣德海贵云春"
CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
MOBILITY = ("能出行", "行动不便", "卧床")
VILLAGES = [f"{name}村" for name in "芒核弄南帕贺允等拉岗勐丙遮允户"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write an Attachment 2 workbook as a township would: title, note, header, data."""
    import random

    from openpyxl import Workbook

    from portal.domain.idcard import make

    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("附件2")
    sheet.append(["德宏州芒市测试乡疑似残疾人名单"])
    sheet.append(["填报单位：测试乡残联"])
    sheet.append(HEADER)
    used: set[str] = set()
    n = 0
    while n < rows:
        born = date(rng.randint(1930, 2015), rng.randint(1, 12), rng.randint(1, 28))
        number = make("533103", born, rng.randint(1, 999))
        if number in used:
            continue
        used.add(number)
        n += 1
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        male = int(number[16]) % 2 == 1
        has_guardian = rng.random() < 0.3
        sheet.append([
            n, name, "男" if male else "女", rng.choice(("汉族", "傣族", "景颇族", "德昂族")),
            number, rng.choice(VILLAGES), f"13{rng.randint(100000000, 999999999)}",
            "是" if rng.random() < 0.2 else "否", rng.choice(MOBILITY), rng.choice(CATEGORIES),
            "有" if rng.random() < 0.5 else "无",
            rng.choice(SURNAMES) + rng.choice(GIVEN) if has_guardian else "",
            f"139{rng.randint(10000000, 99999999)}" if has_guardian else "",
            "",
        ])
    sheet.append(["合计", f"{rows}人"])
    book.save(path)


def _app(url: str):
    from flask_migrate import upgrade

    from portal import create_app

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
    return app


def _new_township(code: str):
    from portal.extensions import db
    from portal.reference.models import Township

    township = Township(code=code, name=f"基准乡{code}", kind="township", position=999)
    db.session.add(township)
    db.session.commit()
    return township


def _clear_township(township) -> None:
    """Remove what the import wrote, so that the next round imports the same ID numbers anew.
    The township and its audit events stay: the audit trail is append-only."""
    from sqlalchemy import delete

    from portal.extensions import db
    from portal.reference.models import Village
    from portal.rosters.models import Person, RosterEntry

    for model in (RosterEntry, Person, Village):
        db.session.execute(delete(model).where(model.township_id == township.id))
    db.session.commit()


def _cold_caches() -> None:
    """Forget remembered pinyin, so that every run pays for its names as a first import does."""
    from portal.rosters import services as rosters

    rosters._char_syllables.cache_clear()
    rosters._char_keys.cache_clear()
    rosters._phrase_syllables.cache_clear()


def _timed_import(township, path: Path) -> tuple[dict, object]:
    """The web confirm's and the CLI's import (`import_file`) and its commit, timed."""
    from portal.extensions import db
    from portal.imports import bulk

    times: dict = {}
    start = time.perf_counter()

    def progress(phase: str, done: int, total: int) -> None:
        # The parse reports its last row when it ends; rows are written meanwhile, and the
        # writing still queued, the changes to people already listed and the commit follow.
        if phase == "parsing" and done == total:
            times["parse"] = time.perf_counter() - start

    result = bulk.import_file(township, None, path, "suspected", max_rows=50_000,
                              progress=progress)
    committing = time.perf_counter()
    db.session.commit()
    times["total"] = time.perf_counter() - start
    times["commit"] = times["total"] - (committing - start)
    times["write"] = times["total"] - times["parse"] - times["commit"]
    return times, result


def import_once(path: Path, code: str) -> dict:
    """One end-to-end import into a fresh township, then the same file again; seconds."""
    township = _new_township(code)
    _cold_caches()
    times, result = _timed_import(township, path)
    times["imported"] = result.imported
    times["rejected"] = result.rejected
    again, repeat = _timed_import(township, path)
    times["reimport"] = again["total"]
    times["reimport_changes"] = repeat.imported + repeat.updated
    _clear_township(township)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=25_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a temporary SQLite)")
    args = parser.parse_args(argv)

    from portal.imports import reader

    with tempfile.TemporaryDirectory(prefix="roster-bench-") as tmp:
        tmpdir = Path(tmp)
        path = tmpdir / "attachment2.xlsx"
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {args.rows} rows ({path.stat().st_size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - started:.1f} s")
        url = args.database_url or f"sqlite:///{tmpdir / 'bench.sqlite3'}"
        app = _app(url)
        reader.read_raw(path)  # warm the file cache once
        reads, runs = [], []
        # Reads and imports alternate, so that a busy machine slows both alike; the ratio is
        # taken per pair and its median reported.
        with app.app_context():
            for i in range(args.repeat):
                mark = time.perf_counter()
                reader.read_raw(path)
                reads.append(time.perf_counter() - mark)
                runs.append(import_once(path, f"bench{int(time.time())}{i}"))
            from portal.extensions import db

            db.engine.dispose()
        read = statistics.median(reads)
        total = statistics.median(r["total"] for r in runs)
        # The phases of the run whose total is the median, so that they add up to the total
        # printed next to them (the fastest run's phases did not).
        best = sorted(runs, key=lambda r: r["total"])[len(runs) // 2]
        ratio = statistics.median(r["total"] / t for r, t in zip(runs, reads, strict=True))
        backend = "postgresql" if args.database_url else "sqlite"
        print(f"database: {backend}")
        print(f"read only (calamine, median of {args.repeat}): {read:.3f} s")
        print(f"import end to end (median of {args.repeat}): {total:.3f} s  "
              f"[that run: read+validate {best['parse']:.3f} s (rows written meanwhile), "
              f"then write {best['write']:.3f} s, commit {best['commit']:.3f} s]")
        print(f"imported={best['imported']} rejected={best['rejected']}; re-import of the same "
              f"file: {statistics.median(r['reimport'] for r in runs):.3f} s, "
              f"changes={best['reimport_changes']}")
        print(f"ratio import/read (median of per-pair ratios) = {ratio:.2f} (goal ≤ {GOAL:g}): "
              f"{'met' if ratio <= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
