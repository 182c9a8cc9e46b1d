"""Database work of a roster import below SQLAlchemy's ORM: bulk writes and a writer thread."""
from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import closing, contextmanager
from datetime import date
from itertools import chain
from itertools import count as count_from
from typing import Any, Self

from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from portal.extensions import db
from portal.reference.models import Village

BULK_CACHE_KIB = -65536  # SQLite page cache while writing a list (negative: in KiB)
SQLITE_ROWS_PER_STATEMENT = 4000  # at most, within SQLite's limit of parameters


class BulkWriter:
    """Inserts many rows through the database driver, in the session's transaction.

    COPY on PostgreSQL, multi-row INSERT statements on SQLite: SQLAlchemy's handling of
    each row's parameters used to cost as much as the database's own work. Values are
    stored exactly as SQLAlchemy stores them (its converters for dates on SQLite).

    The driver lets other threads run while the database works on a statement; on SQLite
    that is once per statement, so each one carries hundreds of rows (a statement per
    row would wait for the interpreter after every row while another thread is busy).
    """

    def __init__(self):
        db.session.flush()
        self.connection = db.session.connection()
        self.dialect = self.connection.dialect
        self.postgresql = self.dialect.name == "postgresql"
        self.driver = self.connection.connection.driver_connection
        self.cache_size = None
        self._statements: dict[tuple[str, int, int], str] = {}
        self._row_security: dict[str, bool] = {}

    def __enter__(self) -> Self:
        if not self.postgresql:
            # SQLite's default 2 MB page cache is too small for the indexes a large list
            # touches: pages would be written out and read back during the transaction.
            (self.cache_size,) = self.driver.execute("PRAGMA cache_size").fetchone()
            self.driver.execute(f"PRAGMA cache_size = {BULK_CACHE_KIB}")
        return self

    def __exit__(self, *exc_info) -> None:
        if self.cache_size is not None:
            self.driver.execute(f"PRAGMA cache_size = {int(self.cache_size)}")

    @property
    def shares_threads(self) -> bool:
        """Whether another thread may use this connection (not an in-memory SQLite one)."""
        return self.postgresql or not isinstance(
            self.connection.engine.pool, SingletonThreadPool | StaticPool)

    @contextmanager
    def _errors_as_sqlalchemy_errors(self, statement: str) -> Iterator[None]:
        # Callers tell a conflict (IntegrityError) from other failures by SQLAlchemy's
        # exception classes, as for every other statement of the session.
        base = self.dialect.loaded_dbapi.Error
        try:
            yield
        except base as exc:
            raise DBAPIError.instance(statement, None, exc, base) from exc

    def converter(self, table: Table, column: str) -> Callable[[Any], Any]:
        """How a Python value of `column` is handed to the driver."""
        kind = table.c[column].type
        process = kind.dialect_impl(self.dialect).bind_processor(self.dialect)
        if self.postgresql or process is None:
            return lambda value: value
        return lambda value: None if value is None else process(value)

    def date_converter(self, table: Table, column: str) -> Callable[[Any], Any]:
        """`converter` for a Date column; `date.isoformat` where that is what it stores."""
        convert = self.converter(table, column)
        sample = date(2001, 2, 3)
        if not self.postgresql and convert(sample) == sample.isoformat():
            return date.isoformat
        return convert

    def keys(self, table: Table, count: int) -> Iterator[int]:
        """Primary keys for at least `count` rows about to be inserted (more on SQLite)."""
        if self.postgresql:
            if not count:
                return iter(())
            statement = ("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                         "FROM generate_series(1, %s)")
            with self._errors_as_sqlalchemy_errors(statement), self.driver.cursor() as cursor:
                cursor.execute(statement, (table.name, count))
                return iter([i for (i,) in cursor.fetchall()])
        # SQLite: a single writer at a time, and the transaction that read max(id) cannot
        # write if another one committed in between, so all numbers above it stay ours.
        statement = f"SELECT coalesce(max(id), 0) FROM {table.name}"
        with self._errors_as_sqlalchemy_errors(statement):
            (last,) = self.driver.execute(statement).fetchone()
        return count_from(last + 1)

    def insert_villages(self, villages: list[tuple[int, int, str]]) -> None:
        """Insert villages given as (id, township id, name), with one statement."""
        if not villages:
            return
        mark = "%s" if self.postgresql else "?"
        statement = (f"INSERT INTO {Village.__table__.name} (id, township_id, name) VALUES "
                     + ", ".join([f"({mark}, {mark}, {mark})"] * len(villages)))
        with self._errors_as_sqlalchemy_errors(statement), closing(self.driver.cursor()) as cursor:
            cursor.execute(statement, list(chain.from_iterable(villages)))

    def _copy_target(self, table: str) -> str:
        """Where COPY writes: the table itself, or, when row-level security binds the portal's
        role (PostgreSQL refuses COPY FROM into such a table), a temporary table of the same
        shape whose rows one INSERT … SELECT then moves, under the table's policy."""
        bound = self._row_security.get(table)
        if bound is None:
            with self.driver.cursor() as cursor:
                cursor.execute("SELECT row_security_active(%s)", (table,))
                (bound,) = cursor.fetchone()
            self._row_security[table] = bound
        if not bound:
            return table
        staging = f"staged_{table}"
        with self.driver.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP "
                           f"AS SELECT * FROM {table} WITH NO DATA")
        return staging

    def rows_per_statement(self, columns: tuple[str, ...], shared: tuple) -> int | None:
        """How many rows `insert` writes with one statement (None: any number)."""
        if self.postgresql:
            return None
        limit = self.driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return max(1, min(SQLITE_ROWS_PER_STATEMENT, (limit - len(shared)) // len(columns)))

    def insert(self, table: Table, columns: tuple[str, ...], rows: list[tuple],
               shared: dict[str, Any] | None = None) -> None:
        """Insert `rows` (tuples in the order of `columns`), each with the `shared` values.

        On SQLite, whole statements of `rows_per_statement` rows, then one statement
        executed for each remaining row.
        """
        if not rows:
            return
        shared = shared or {}
        names = ", ".join(tuple(shared) + columns)
        if self.postgresql:
            head = tuple(shared.values())
            target = self._copy_target(table.name)
            statement = f"COPY {target} ({names}) FROM STDIN"
            with self._errors_as_sqlalchemy_errors(statement), self.driver.cursor() as cursor:
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(head + row)
                if target != table.name:
                    cursor.execute(f"INSERT INTO {table.name} ({names}) "
                                   f"SELECT {names} FROM {target}")
                    cursor.execute(f"TRUNCATE {target}")
            return
        head = list(shared.values())
        per_statement = self.rows_per_statement(columns, head)
        whole = len(rows) - len(rows) % per_statement
        cursor = self.driver.cursor()
        try:
            if whole:
                statement = self._insert_statement(table.name, names, len(columns), len(head),
                                                   per_statement)
                with self._errors_as_sqlalchemy_errors(statement):
                    for start in range(0, whole, per_statement):
                        cursor.execute(statement, head + list(
                            chain.from_iterable(rows[start:start + per_statement])))
            if whole < len(rows):
                statement = self._insert_statement(table.name, names,
                                                   len(columns) + len(head), 0, 1)
                with self._errors_as_sqlalchemy_errors(statement):
                    cursor.executemany(statement, [(*head, *row) for row in rows[whole:]])
        finally:
            cursor.close()

    def _insert_statement(self, table: str, names: str, width: int, shared: int,
                          count: int) -> str:
        # The shared values are bound once, as ?1 ... ?n at the start of every row; the
        # row's own values follow as plain "?" (numbered on from there). Only the shared
        # ones are numbered: SQLite looks each numbered parameter up in a list of them.
        key = (table, shared, count)
        statement = self._statements.get(key)
        if statement is None:
            row = "(" + ", ".join([f"?{i}" for i in range(1, shared + 1)] + ["?"] * width) + ")"
            statement = f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * count)}"
            self._statements[key] = statement
        return statement


class Pipeline:
    """Runs database work in order in a thread of its own, while the caller goes on.

    The thread uses the session's connection, and only it does until `close()`: the import
    stays one transaction. A failure there is raised in the caller at its next `submit`
    or at `close`; the work queued after it is skipped. Without a thread (a connection that
    must stay in its thread), work runs at once in the caller.
    """

    def __init__(self, threaded: bool):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._failure: BaseException | None = None
        self._stopping = False
        self._closed = False
        self._thread = (threading.Thread(target=self._run, name="roster-import-writer",
                                         daemon=True) if threaded else None)

    def __enter__(self) -> Self:
        if self._thread is not None:
            self._thread.start()
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None:
            self._stopping = True  # the caller failed: skip what is still queued
        self._stop()

    def submit(self, work: Callable, *args) -> Future:
        """Queue `work(*args)`; its future holds the result (at once after `close`)."""
        self._raise_failure()
        future: Future = Future()
        if self._thread is None or self._closed:
            future.set_result(work(*args))
        else:
            self._jobs.put((future, work, args))
        return future

    def busy(self) -> bool:
        """Whether more work is queued (the caller may still be adding to it)."""
        return not self._jobs.empty()

    def close(self) -> None:
        """Wait for all queued work; raise its failure if any."""
        self._stop()
        self._raise_failure()

    def _stop(self) -> None:
        self._closed = True
        if self._thread is not None and self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, work, args = job
            if self._stopping or self._failure is not None:
                future.cancel()
                continue
            try:
                future.set_result(work(*args))
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
                self._failure = exc
                future.set_exception(exc)
