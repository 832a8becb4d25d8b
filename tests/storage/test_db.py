"""The unit of work: one write transaction per thread at a time, and database errors that
reach the logs without customer data."""

from __future__ import annotations

import gc
import logging
import socket
import threading
import time
import traceback
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from storage import db as db_module
from storage.db import Database, NestedUnitOfWork, make_engine, one_line
from storage.models import Account

CUSTOMER = "Northwind Traders"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.migrate()
    yield database
    database.dispose()


def add_account(db: Database, external_id: str) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with db.session() as session:
        session.add(Account(external_id=external_id, name=CUSTOMER, created_at=now, updated_at=now))


def test_a_write_unit_inside_another_is_refused_at_once(db: Database) -> None:
    with db.session():
        assert db.writing()
        with pytest.raises(NestedUnitOfWork, match="inside another"), db.session():
            pass  # pragma: no cover - never reached
    assert not db.writing()
    add_account(db, "acme")  # the guard is released: the next unit of work begins


def test_the_outer_unit_rolls_back_and_releases_the_guard(db: Database) -> None:
    with pytest.raises(NestedUnitOfWork), db.session() as session:
        session.add(
            Account(
                external_id="acme",
                name=CUSTOMER,
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
                updated_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        session.flush()
        with db.session():
            pass  # pragma: no cover
    with db.read() as session:
        assert session.scalars(select(Account)).all() == []
    assert not db.writing()


def test_reads_and_other_threads_are_not_nested_units(db: Database) -> None:
    """A read beside a write takes no lock (WAL); another thread's unit is its own."""
    other: list[BaseException | None] = []

    def in_other_thread() -> None:
        try:
            assert not db.writing()
            add_account(db, "other")
            other.append(None)
        except BaseException as err:  # pragma: no cover - reported below
            other.append(err)

    with db.read():
        add_account(db, "acme")  # a write inside a read is allowed
    with db.session():
        with db.read() as reader:
            reader.scalars(select(Account)).all()
        worker = threading.Thread(target=in_other_thread)
        worker.start()  # on SQLite it waits for this unit's lock, then writes
    worker.join(timeout=60)
    assert other == [None]


def test_a_database_no_longer_used_is_freed(db_url: str) -> None:
    """Its commit listeners must not keep it (its engine, its pool, its statement cache of
    tens of thousands of objects) alive for the rest of the process: every test builds one,
    and a worker that kept them all spent seconds in each full garbage collection."""
    database = Database(db_url)
    database.migrate()
    heard: list[str] = []
    database.on_outbox_commit(lambda: heard.append("commit"))
    with database.session() as session:
        session.info[db_module.OUTBOX_QUEUED] = True
    assert heard == ["commit"]  # the listeners work while it is in use
    database.dispose()
    gone = weakref.ref(database)
    del database
    gc.collect()
    assert gone() is None, "something still holds the Database"


def test_database_errors_never_carry_customer_data(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A NOT NULL violation: PostgreSQL puts the failing row (the customer's name) in its
    DETAIL line, SQLAlchemy the INSERT's parameters in its message. Neither may reach a log,
    not even with SQLAlchemy's own statement logging turned on."""
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    log = logging.getLogger("savedesk.test")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    values = {"external_id": "acme", "name": CUSTOMER, "created_at": now, "updated_at": None}
    with pytest.raises(IntegrityError) as raised, db.session() as session:
        try:
            session.execute(insert(Account).values(**values))
        except IntegrityError:
            log.exception("the unit of work failed")
            raise
    err = raised.value
    shown = "".join(traceback.format_exception(err))
    assert "updated_at" in shown, shown  # the error still says what was wrong
    for text in (str(err), repr(err), shown, one_line(err), caplog.text):
        assert CUSTOMER not in text
    assert "the unit of work failed" in caplog.text


@pytest.mark.parametrize("where", ["default", "url"])
def test_a_postgresql_server_that_never_answers_is_an_error_within_seconds(
    monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A host that accepts the connection and then says nothing (a hung server, a
    half-open network) must fail the connect at `connect_timeout`, not hang a request; the
    URL's own setting wins over the default."""
    assert db_module.PG_CONNECT["connect_timeout"] <= 5
    monkeypatch.setitem(db_module.PG_CONNECT, "connect_timeout", 1 if where == "default" else 60)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes handshakes; nobody ever speaks
        port = silent.getsockname()[1]
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/x"
        engine = make_engine(url + ("?connect_timeout=1" if where == "url" else ""))
        started = time.monotonic()
        with pytest.raises(OperationalError):
            engine.connect()
        # 1 s asked, not 60 (or never); the rest is room for a busy machine
        assert time.monotonic() - started < 20
        engine.dispose()
