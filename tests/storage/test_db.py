"""The unit of work: one write transaction per thread at a time, and database errors that
reach the logs without customer data."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from storage.db import Database, NestedUnitOfWork, one_line
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
    worker.join(timeout=10)
    assert other == [None]


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
