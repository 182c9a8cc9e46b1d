"""The audit hash chain: cost of one audited commit, and how fast `flask audit verify` walks.

    python -m bench.audit_chain --database-url postgresql://postgres@127.0.0.1:5432/bench_audit
    python -m bench.audit_chain --database-url sqlite:////tmp/bench_audit.sqlite3

Creates (and afterwards drops) the database, builds the schema with the migrations, then
measures: the median time of one commit holding one audit event (lock, read of the chain's
head, hash, insert), the load of --rows events in flushes of 1,000, the walk of the whole chain,
and one day head.
"""
from __future__ import annotations

import argparse
import os
import time
from zoneinfo import ZoneInfo

from bench.common import fresh_database, make_app, median_ms


def run(url: str, rows: int) -> None:
    from portal.audit.chain import day_head, verify_chain
    from portal.audit.services import record_event
    from portal.clock import local_today
    from portal.extensions import db

    app = make_app(url)
    with app.app_context():
        def one_commit():
            record_event("bench.one", object_type="things", object_id=1, details={"k": "v"})
            db.session.commit()

        print(f"one audited commit: {median_ms(one_commit, repeat=200):.2f} ms (median of 200)")
        start = time.perf_counter()
        for batch in range(rows // 1000):
            for n in range(1000):
                record_event("bench.load", object_type="things", object_id=n,
                             details={"batch": batch, "field": "id_number"})
            db.session.commit()
        load = time.perf_counter() - start
        print(f"load {rows} events in flushes of 1000: {load:.1f} s "
              f"({rows / load:,.0f} events/s)")
        start = time.perf_counter()
        walk = verify_chain(db.session)
        took = time.perf_counter() - start
        assert walk.broken is None, walk.broken
        print(f"verify {walk.rows} rows: {took:.2f} s ({walk.rows / took:,.0f} rows/s)")
        zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
        print(f"one day head: {median_ms(lambda: day_head(db.session, local_today(), zone), 20):.2f}"
              " ms (median of 20)")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    if args.database_url.startswith("sqlite:///"):
        path = args.database_url[len("sqlite:///"):]
        if os.path.exists(path):
            os.remove(path)
        try:
            run(args.database_url, args.rows)
        finally:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
    else:
        with fresh_database(args.database_url) as url:
            run(url, args.rows)


if __name__ == "__main__":
    main()
