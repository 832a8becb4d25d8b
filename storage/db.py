"""Engine, sessions and schema migrations.

One `Database` per process; `db.session()` is a unit of work that commits on success
and rolls back on error, so a state change and its outbox rows land together. A thread
holds at most one write unit of work at a time (`NestedUnitOfWork`).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK_KEY = 7_261_001  # pg_advisory_lock key: one migrator at a time
READ_ONLY = "savedesk_read_only"
# A unit of work that queued outbox rows carries this flag (storage.outbox.add sets it); its
# commit wakes the deliverer: callbacks in this process, NOTIFY on OUTBOX_CHANNEL for others.
OUTBOX_QUEUED = "savedesk_outbox_queued"
OUTBOX_CHANNEL = "savedesk_outbox"
# The payload names the database and schema, so deployments sharing a server (in different
# schemas) only wake their own workers.
OUTBOX_SCOPE = "current_database() || '.' || current_schema()"
_NOTIFY_OUTBOX = text(f"SELECT pg_notify(:channel, {OUTBOX_SCOPE})")


class NestedUnitOfWork(RuntimeError):
    """A write unit of work was begun while this thread already held one.

    On SQLite the second `BEGIN IMMEDIATE` waits for the lock its own thread holds (30 s,
    then "database is locked"); on PostgreSQL it takes a second connection that may wait
    for rows the first has locked. Either way the caller must finish (or not yet begin)
    the outer unit: resolve what it needs first, or pass the open session down.
    """


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _sqlite_begin)
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    """Take SQLite's write lock when a unit of work starts, not at its first write.

    pysqlite otherwise reads outside any transaction, so two clicks on the same button
    could both read "new" and both act. On PostgreSQL, row locks do this job. Read-only
    units (`Database.read`) take no lock: WAL lets them read beside a writer.
    """
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _without_row_values(context: ExceptionContext) -> None:
    """Keep customer data out of a database error's text, which reaches the logs.

    `hide_parameters` drops the statement's parameters from SQLAlchemy's message; this
    drops the driver's lines after the first, where PostgreSQL puts the row or key values
    (`DETAIL:  Failing row contains (…, Northwind Traders, …)`, `CONTEXT: … parameter $1 =
    '…'`). The first line names the constraint or the problem; `orig.diag` keeps the rest
    for code that needs it.
    """
    orig = context.original_exception
    text = str(orig)
    first = text.strip().splitlines()[0] if text.strip() else text
    if first == text:
        return
    orig.args = (first,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None and isinstance(orig, Exception):
        cls = type(orig)
        wrapped.args = (f"({cls.__module__}.{cls.__name__}) {first}",)


PG_CONNECT: dict[str, int] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}
"""libpq's connection settings (PostgreSQL docs: *Parameter Key Words*; seconds, the last
in milliseconds), unless the URL sets them: a server that does not answer, or a network
that drops packets, is an error within seconds (the 503 and "nothing was saved" paths),
not a request that waits for the operating system's two-minute TCP timeouts."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine that behaves the same on SQLite (threads, FKs, WAL) and PostgreSQL, and
    whose errors never carry a statement's parameters or a row's values (customer data)."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        connect_args = {k: v for k, v in PG_CONNECT.items() if k not in make_url(url).query}
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    event.listen(engine, "handle_error", _without_row_values)
    return engine


def pool_options(url: str, pool_size: int | None) -> dict[str, Any]:
    """`pool_size` connections kept open, as many again while a burst lasts; a request that
    still finds none waits up to 10 s (then fails, answered as an error) rather than 30."""
    if pool_size is None or ":memory:" in url or url.rstrip("/") == "sqlite:":
        return {}
    return {"pool_size": pool_size, "max_overflow": pool_size, "pool_timeout": 10}


def _listen_weakly(target: sessionmaker, name: str, method: Callable[[Session], None]) -> None:
    """`event.listen` for a bound method that holds its object weakly. SQLAlchemy keeps a
    sessionmaker's listeners as long as its Session class lives, in a registry keyed weakly
    by that class; a listener holding the Database (which holds the sessionmaker, which
    holds the class) would keep the class, and so the Database with its engine, pool and
    statement cache, alive until the process ends."""
    ref = weakref.WeakMethod(method)

    def listener(session: Session) -> None:
        bound = ref()
        if bound is not None:
            bound(session)

    event.listen(target, name, listener)


class Database:
    def __init__(self, url: str, pool_size: int | None = None, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **pool_options(url, pool_size), **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        self._outbox_callbacks: list[Callable[[], None]] = []
        self._units = threading.local()  # .writing: bool, .reading: int, for this thread
        _listen_weakly(self._sessions, "before_commit", self._notify_outbox)
        _listen_weakly(self._sessions, "after_commit", self._outbox_committed)
        event.listen(self._sessions, "after_rollback", self._forget_outbox)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write unit of work: commits when the block ends, rolls back if it raises.

        Raises NestedUnitOfWork, before touching the database, when this thread already
        holds one (see the class for why it would wait on its own lock).
        """
        if self.writing():
            raise NestedUnitOfWork(
                "a write unit of work began inside another in the same thread; "
                "do what needs its own transaction before the outer one begins"
            )
        self._units.writing = True
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            self._units.writing = False

    def writing(self) -> bool:
        """Whether this thread holds a write unit of work (`session()`) right now."""
        return bool(getattr(self._units, "writing", False))

    def in_unit(self) -> bool:
        """Whether this thread is inside any unit of work (`session()` or `read()`): code
        that may call Slack (and then write what it learnt) must run before, not inside,
        so no transaction or pooled connection waits on the network."""
        return self.writing() or bool(getattr(self._units, "reading", 0))

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit of work that only reads (lookups, lists): never waits for a writer. Reads
        may nest in reads or writes (WAL lets a reader beside the writer)."""
        session = self._readers()
        self._units.reading = getattr(self._units, "reading", 0) + 1
        try:
            yield session
        finally:
            self._units.reading -= 1
            session.close()  # ends the transaction; loaded objects stay readable

    def on_outbox_commit(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` (in the committing thread, so it must only signal, never block)
        right after each commit that queued outbox rows; returns the unsubscribe function."""
        self._outbox_callbacks.append(callback)
        return lambda: self._outbox_callbacks.remove(callback)

    def outbox_committed_elsewhere(self) -> None:
        """Another process of ours may have committed outbox rows (a case-work process):
        tell this process's `on_outbox_commit` callbacks, as for a commit here."""
        for callback in list(self._outbox_callbacks):
            callback()

    def _notify_outbox(self, session: Session) -> None:
        """PostgreSQL delivers NOTIFY when (and only if) the transaction commits, to every
        process LISTENing on the channel (storage.notify), so a worker wakes at once."""
        if session.info.get(OUTBOX_QUEUED) and self.is_postgres:
            session.execute(_NOTIFY_OUTBOX, {"channel": OUTBOX_CHANNEL})

    def _outbox_committed(self, session: Session) -> None:
        if session.info.pop(OUTBOX_QUEUED, False):
            for callback in list(self._outbox_callbacks):
                callback()

    @staticmethod
    def _forget_outbox(session: Session) -> None:
        session.info.pop(OUTBOX_QUEUED, None)

    def ping(self) -> bool:
        """True when the database answers a trivial query; logs one line when it does not
        (a traceback here says nothing the driver's reason does not)."""
        problem = self.problem()
        if problem is not None:
            log.warning("database does not answer: %s", problem)
        return problem is None

    def problem(self) -> str | None:
        """Why the database does not answer a trivial query (one line), or None."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return None
        except Exception as err:
            return one_line(err)

    def migrate(self) -> str | None:
        """Upgrade the schema to head (serialized across processes on PostgreSQL)."""
        with self.engine.begin() as conn:
            if self.is_postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return self.revision()

    def revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def is_current(self) -> bool:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        return self.revision() == head

    def dispose(self) -> None:
        self.engine.dispose()


def one_line(err: BaseException) -> str:
    """The driver's own first line of a database error (no SQL, no parameters)."""
    cause = getattr(err, "orig", None) or err
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def unavailable(err: BaseException) -> bool:
    """True when `err` means the database cannot be reached or used right now (down,
    restarting, connections refused or cut, the pool exhausted, SQLite busy): retry later,
    the request itself was fine."""
    if isinstance(err, exc.TimeoutError | exc.OperationalError | exc.InterfaceError):
        return True
    return isinstance(err, exc.DBAPIError) and bool(err.connection_invalidated)
