"""A big book of business for bench/report.py: accounts, cases (mostly closed over three
years, a few percent open), offers, turnover plans, churn surveys and invoices, generated
deterministically and bulk-loaded (COPY on PostgreSQL, executemany on SQLite).

Tables of domains this database does not have yet (turnover, survey, finance) are
created here with the columns and indexes their models declare, so the report's queries
run against the same shape either way.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    text,
)

from storage.db import Database

SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
CHUNK = 20_000
CHURN_KINDS = {
    "cancellation": 20,
    "non_renewal": 10,
    "downgrade": 8,
    "contact_left": 12,
    "usage_drop": 18,
    "budget_cut": 10,
    "competitor": 10,
    "negative_feedback": 7,
    "other": 5,
}
CAUSES = ("missing_functionality", "price_value", "poor_onboarding", "champion_left", "budget_cut")
RIVALS = ("Rivalsoft", "Churnzilla", "Keepr", "Retainly")
PLAN_STEPS = 5
CHECKPOINTS = (90, 180, 365)  # the policy's default save check-ins in days


class Book:
    """The generated rows, table by table, as tuples in `COLUMNS` order."""

    COLUMNS: ClassVar[dict[str, Sequence[str]]] = {
        "accounts": (
            "id",
            "external_id",
            "name",
            "arr",
            "currency",
            "is_stub",
            "created_at",
            "updated_at",
        ),
        "cases": (
            "id",
            "account_id",
            "track",
            "kind",
            "status",
            "risk",
            "arr_at_risk",
            "arr_saved",
            "source",
            "details",
            "created_at",
            "updated_at",
            "closed_at",
            "offer_cost",
            "arr_kept",
            "owner",
            "acknowledged_at",
        ),
        "offers": (
            "case_id",
            "proposer",
            "type",
            "value",
            "justification",
            "approver",
            "status",
            "created_at",
            "outcome",
            "outcome_at",
            "decided_at",
        ),
        "save_checkins": (
            "case_id",
            "account_id",
            "checkpoint",
            "saved_at",
            "due_at",
            "arr_saved",
            "state",
            "answer",
            "new_arr",
            "answered_by",
            "answered_at",
        ),
        "turnovers": (
            "id",
            "case_id",
            "account_id",
            "contact_name",
            "learned_timing",
            "coverage",
            "destination",
            "role_fate",
            "replacement",
            "learned_at",
            "created_at",
            "updated_at",
        ),
        "plan_steps": ("turnover_id", "key", "text", "done", "position"),
        "survey_answers": (
            "case_id",
            "churn_number",
            "status",
            "involuntary",
            "asked_at",
            "arr_lost",
            "root_cause",
            "competitor",
            "competitor_key",
        ),
        "invoices": (
            "invoice_id",
            "account_id",
            "amount_due",
            "amount_remaining",
            "currency",
            "due_date",
            "status",
            "source",
            "dunning_days",
            "created_at",
            "updated_at",
        ),
    }

    def __init__(self, accounts: int, cases: int, now: datetime, seed: int = 7) -> None:
        self.n_accounts, self.n_cases, self.now, self.seed = accounts, cases, now, seed
        self.open_churn = min(accounts, cases * 6 // 100)
        self.open_payment = min(accounts, cases // 100)
        self._cases: list[tuple] | None = None

    def accounts(self) -> Iterator[tuple]:
        rnd = random.Random(self.seed)
        for i in range(1, self.n_accounts + 1):
            at = self.now - timedelta(days=rnd.randint(200, 2000))
            yield (i, f"acct-{i}", f"Account {i}", rnd.randint(5, 250) * 1000, "USD", False, at, at)

    def cases(self) -> Iterator[tuple]:
        """Open cases first (one per account and track), then closed ones (closings spread
        evenly over three years, each opened one day to four months before it closed)."""
        if self._cases is None:
            self._cases = list(self._make_cases())
        return iter(self._cases)

    def _make_cases(self) -> Iterator[tuple]:
        rnd = random.Random(self.seed + 1)
        kinds, weights = list(CHURN_KINDS), list(CHURN_KINDS.values())
        for i in range(1, self.n_cases + 1):
            arr = rnd.randint(5, 250) * 1000
            risk = rnd.choices(("low", "medium", "high"), (25, 50, 25))[0]
            if i <= self.open_churn + self.open_payment:
                payment = i > self.open_churn
                account = i - self.open_churn if payment else i
                kind = "payment_failed" if payment else rnd.choices(kinds, weights)[0]
                created = self.now - timedelta(minutes=rnd.randint(60, 180 * 1440))
                status = rnd.choice(("new", "acknowledged", "working"))
                acked = None if status == "new" else created + self.ack_delay(rnd)
                yield (
                    i,
                    account,
                    "payment" if payment else "churn",
                    kind,
                    status,
                    risk,
                    arr,
                    None,
                    "bench",
                    "{}",
                    created,
                    created,
                    None,
                    None,
                    None,
                    self.owner(rnd),
                    acked,
                )
                continue
            payment = rnd.random() < 0.12
            kind = "payment_failed" if payment else rnd.choices(kinds, weights)[0]
            closed = self.now - timedelta(minutes=rnd.randint(1, 3 * 365 * 1440))
            created = closed - timedelta(minutes=rnd.randint(1440, 120 * 1440))
            status = rnd.choices(("saved", "churned", "moved_on"), (45, 35, 20))[0]
            cost, kept = self._concession_and_fate(i, status, arr, closed, payment)
            yield (
                i,
                rnd.randint(1, self.n_accounts),
                "payment" if payment else "churn",
                kind,
                status,
                risk,
                arr,
                arr if status == "saved" else None,
                "bench",
                "{}",
                created,
                closed,
                closed,
                cost,
                kept,
                self.owner(rnd),
                None if rnd.random() < 0.05 else min(created + self.ack_delay(rnd), closed),
            )

    @staticmethod
    def owner(rnd: random.Random) -> str:
        """One of 60 owners (CSMs, account executives, the save desk)."""
        return f"U0OWNER{rnd.randint(1, 60):02d}"

    @staticmethod
    def ack_delay(rnd: random.Random) -> timedelta:
        """Time to acknowledge: minutes for most cases, a long tail of a day or two."""
        return timedelta(minutes=min(rnd.expovariate(1 / 240), 3 * 1440))

    @staticmethod
    def offer_time(created: datetime, until: datetime, rnd: random.Random) -> datetime:
        """A first offer a few hours to a few days after the case opened (before it closed,
        or now)."""
        return min(created + timedelta(hours=rnd.expovariate(1 / 30)), until)

    def _concession_and_fate(
        self, case_id: int, status: str, arr: int, closed: datetime, payment: bool
    ) -> tuple[int | None, int | None]:
        """A save's accepted offer (on 40% of saves, a tenth of the ARR) and what its
        check-ins found: (offer cost, ARR kept; None while no check-in changed it)."""
        if status != "saved":
            return None, None
        fate = None if payment else self.fate(case_id, closed)
        cost = arr // 10 if random.Random(case_id * 7 + 1).random() < 0.4 else None
        if fate is None:
            return cost, None
        answer, _ = fate
        return cost, 0 if answer == "churned" else arr // 2

    def fate(self, case_id: int, closed: datetime) -> tuple[str, int] | None:
        """Whether a save churned (10%) or downgraded to half its ARR (7%), and at which
        checkpoint already reached, or None: still a customer at every checkpoint."""
        reached = [d for d in CHECKPOINTS if closed + timedelta(days=d) <= self.now]
        rnd = random.Random(case_id * 7 + 2)
        draw = rnd.random()
        if not reached or draw >= 0.17:
            return None
        return ("churned" if draw < 0.10 else "downgraded"), rnd.choice(reached)

    def checkins(self) -> Iterator[tuple]:
        """The check-ins of every churn-track save at 90, 180 and 365 days: answered (95%
        of those due; by Stripe on a third), churned and downgraded as `fate` says,
        pending until due."""
        for c in self.cases():
            case_id, account, track, status, arr, closed = c[0], c[1], c[2], c[4], c[6], c[12]
            if status != "saved" or track != "churn":
                continue
            fate = self.fate(case_id, closed)
            rnd = random.Random(case_id * 7 + 3)
            answer, new_arr = "customer", None
            for days in CHECKPOINTS:
                due = closed + timedelta(days=days)
                if due > self.now:
                    row = (case_id, account, str(days), closed, due, arr, "pending")
                    yield (*row, None, None, None, None)
                    continue
                if fate is not None and fate[1] == days:
                    answer = fate[0]
                    new_arr = arr // 2 if answer == "downgraded" else None
                if rnd.random() < 0.05 and answer == "customer":
                    yield (case_id, account, str(days), closed, due, arr, "asked") + (None,) * 4
                    continue
                by = "stripe" if rnd.random() < 0.33 else "U0CSM"
                row = (case_id, account, str(days), closed, due, arr, "answered")
                yield (*row, answer, new_arr, by, due + timedelta(hours=3))

    def dependents(self) -> Iterator[tuple[str, tuple]]:
        """(table, row) for offers, turnovers and plan steps, surveys: from the cases."""
        rnd = random.Random(self.seed + 2)
        turnover = 0
        for c in self.cases():
            case_id, account, track, kind, status, arr, created, closed = (
                c[0],
                c[1],
                c[2],
                c[3],
                c[4],
                c[6],
                c[10],
                c[12],
            )
            proposed = self.offer_time(created, closed or self.now, rnd)
            if c[13] is not None:  # the save's accepted offer: its concession
                accepted = ("U0CSM", "discount", c[13], "bench", "none", "approved", proposed)
                yield ("offers", (case_id, *accepted, "accepted", closed, None))
            if rnd.random() < 0.25:  # an offer a manager decides (pending on open cases only)
                status = rnd.choice(("approved", "rejected", "pending"))
                status = "approved" if closed is not None and status == "pending" else status
                decided = None
                if status != "pending":
                    decided = proposed + timedelta(hours=rnd.expovariate(1 / 8))
                    decided = min(decided, closed or self.now)
                yield (
                    "offers",
                    (
                        case_id,
                        "U0CSM",
                        "discount",
                        arr // 10,
                        "bench",
                        "managers",
                        status,
                        proposed,
                        None,
                        None,
                        decided,
                    ),
                )
            if kind == "contact_left":
                turnover += 1
                yield (
                    "turnovers",
                    (
                        turnover,
                        case_id,
                        account,
                        "Pat",
                        "after_left",
                        "other_contact",
                        "another_company",
                        "replaced",
                        "external_new",
                        created,
                        created,
                        created,
                    ),
                )
                for pos in range(PLAN_STEPS):
                    yield (
                        "plan_steps",
                        (turnover, f"step{pos}", "Do the step", rnd.random() < 0.55, pos),
                    )
            if status == "churned" and track == "churn":
                rival = rnd.choice(RIVALS) if rnd.random() < 0.3 else None
                yield (
                    "survey_answers",
                    (
                        case_id,
                        1,
                        "answered",
                        rnd.random() < 0.1,
                        closed,
                        arr,
                        rnd.choice(CAUSES),
                        rival,
                        rival.lower() if rival else None,
                    ),
                )

    def invoices(self) -> Iterator[tuple]:
        """Four invoices per account; 3% still open, most of those past due."""
        rnd = random.Random(self.seed + 3)
        for account in range(1, self.n_accounts + 1):
            for n in range(4):
                due = (self.now - timedelta(days=rnd.randint(-20, 400))).date()
                open_ = rnd.random() < 0.03
                late = (self.now.date() - due).days
                step = max((d for d in (0, 30, 60, 90) if d <= late), default=0) if open_ else 0
                amount = rnd.randint(1, 60) * 500
                yield (
                    f"in_{account}_{n}",
                    account,
                    amount,
                    amount if open_ else 0,
                    "USD",
                    due,
                    "open" if open_ else "paid",
                    "csv",
                    step,
                    self.now,
                    self.now,
                )


def load(db: Database, book: Book) -> dict[str, int]:
    """Bulk-load every table; returns rows per table."""
    counts: dict[str, int] = {}
    _copy(db, "accounts", book.COLUMNS["accounts"], book.accounts(), counts)
    _copy(db, "cases", book.COLUMNS["cases"], book.cases(), counts)
    buckets: dict[str, list[tuple]] = {
        t: [] for t in ("offers", "turnovers", "plan_steps", "survey_answers")
    }
    for table, row in book.dependents():
        buckets[table].append(row)
    for table, rows in buckets.items():
        _copy(db, table, book.COLUMNS[table], iter(rows), counts)
    _copy(db, "invoices", book.COLUMNS["invoices"], book.invoices(), counts)
    _copy(db, "save_checkins", book.COLUMNS["save_checkins"], book.checkins(), counts)
    if db.is_postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            for table in ("accounts", "cases", "turnovers", "invoices"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return counts


def _sqlite_value(value: Any) -> Any:
    """How SQLAlchemy stores values on SQLite (times as naive UTC text with microseconds)."""
    kind = type(value)
    if kind is datetime:
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    if kind is date:
        return value.isoformat()
    return value


def _copy(
    db: Database, table: str, columns: Sequence[str], rows: Iterator[tuple], counts: dict[str, int]
) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    n = 0
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if db.is_postgres:
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
                    n += 1
        else:
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            cur.execute("BEGIN")
            batch: list[tuple] = []
            for row in rows:
                batch.append(tuple(_sqlite_value(v) for v in row))
                if len(batch) >= CHUNK:
                    cur.executemany(sql, batch)
                    n, batch = n + len(batch), []
            cur.executemany(sql, batch)
            n += len(batch)
            cur.execute("COMMIT")
        raw.commit()
    finally:
        raw.close()
    counts[table] = n
