"""The report's figures as frozen values, and their JSON form (stored in `reports.figures`).

Money is in the accounts' currency (major units; the report assumes one currency, the
most common among the accounts, named in `Report.currency`). Times are UTC. Definitions
are in docs/reports.md, *Definitions*, one line per figure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

PERIODS: dict[str, timedelta] = {
    "week": timedelta(days=7),
    "month": timedelta(days=30),
    "quarter": timedelta(days=90),
}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Ranked:
    """One line of a top-N list (root cause or competitor): how many churns, their ARR."""

    key: str
    label: str
    count: int
    arr: Decimal


@dataclass(frozen=True)
class Figures:
    """Every figure of one risk kind (or of all kinds together).

    `age_seconds` is the sum of the open cases' ages at `Report.generated_at` (so figures
    of several kinds add up); `involuntary`/`arr_involuntary` are None when nothing in the
    database can tell voluntary from involuntary churn.
    """

    saved: int = 0
    arr_saved: Decimal = ZERO
    churned: int = 0
    arr_churned: Decimal = ZERO
    involuntary: int | None = None
    arr_involuntary: Decimal | None = None
    moved_on: int = 0
    arr_moved_on: Decimal = ZERO
    open: int = 0
    arr_at_risk: Decimal = ZERO
    arr_high_risk: Decimal = ZERO
    age_seconds: float = 0.0
    plan_steps: int = 0
    plan_done: int = 0
    root_causes: tuple[Ranked, ...] = ()
    competitors: tuple[Ranked, ...] = ()

    @property
    def arr_saveable(self) -> Decimal:
        """Forecast: the ARR at risk of open cases not at risk level high."""
        return self.arr_at_risk - self.arr_high_risk

    @property
    def voluntary(self) -> int | None:
        return None if self.involuntary is None else self.churned - self.involuntary

    @property
    def closed(self) -> int:
        return self.saved + self.churned + self.moved_on

    @property
    def save_rate(self) -> float | None:
        """saved ÷ (saved + churned + moved on) in the period; None with nothing closed."""
        return self.saved / self.closed if self.closed else None

    @property
    def average_time_at_risk(self) -> timedelta | None:
        """Mean age of the open cases; None with none open."""
        return timedelta(seconds=self.age_seconds / self.open) if self.open else None

    @property
    def plan_complete(self) -> float | None:
        """Done ÷ all action-plan steps over the open cases; None with no plan steps."""
        return self.plan_done / self.plan_steps if self.plan_steps else None


@dataclass(frozen=True)
class LadderLine:
    """Open invoices past due that reached one dunning step (0 = not yet the first)."""

    days_past_due: int
    invoices: int
    amount: Decimal


@dataclass(frozen=True)
class PaymentLine:
    """The payment track on its own: open delinquent cases and the overdue amount by step.

    `ladder` is None when invoices are not stored in this database.
    """

    open: int = 0
    arr_at_risk: Decimal = ZERO
    ladder: tuple[LadderLine, ...] | None = None

    @property
    def overdue(self) -> Decimal | None:
        return None if self.ladder is None else sum((s.amount for s in self.ladder), ZERO)


@dataclass(frozen=True)
class LastedLine:
    """Saves that lasted (docs/reports.md, *Did the save last?*): the saves of the same-length
    period that ended `days` ago, and what their `days`-day check-in said. `still` counts
    customers and downgrades, `arr_still` the ARR they bring now; `concessions` is what
    those saves cost in accepted offers."""

    days: int
    saves: int = 0
    arr_saved: Decimal = ZERO
    still: int = 0
    arr_still: Decimal = ZERO
    churned: int = 0
    arr_churned: Decimal = ZERO
    unanswered: int = 0
    concessions: Decimal = ZERO


@dataclass(frozen=True)
class StageTime:
    """One stage's durations in seconds over one group (docs/reports.md, *Stage times*): `stage` is
    acknowledge, first_offer, decision or close; `by` is "all", "kind" or "owner" and `key`
    the kind or the owner's Slack user id (None: all, or no owner)."""

    stage: str
    by: str
    key: str | None
    cases: int
    median: float
    p90: float


@dataclass(frozen=True)
class SlowCase:
    """An open case whose `stage` clock has run since `since` (UTC) without stopping."""

    stage: str
    case_id: int
    account: str
    account_name: str
    kind: str
    owner: str | None
    since: datetime


@dataclass(frozen=True)
class Report:
    """The whole report: the period, all kinds together, each kind, and the payment line."""

    period: str
    start: datetime
    end: datetime
    generated_at: datetime
    overall: Figures
    kinds: tuple[tuple[str, Figures], ...] = ()
    payment: PaymentLine = field(default_factory=PaymentLine)
    currency: str = "USD"
    timezone: str = "UTC"
    """The policy's timezone (an IANA name) its dates are shown in (policy.example.toml)."""
    arr_kept: Decimal | None = None
    """What the period's saves still bring in after their check-ins (None: not computed)."""
    concessions: Decimal | None = None
    """The accepted offers' cost of the period's saves (None: not computed)."""
    lasted: tuple[LastedLine, ...] | None = None
    """One line per policy checkpoint in days; None when check-ins are not stored."""
    stages: tuple[StageTime, ...] | None = None
    """Stage times of the clocks that stopped in the period (None: not computed)."""
    slowest: tuple[SlowCase, ...] | None = None
    """Open cases whose clocks have run longest, per stage (None: not computed)."""
    previous: Report | None = None
    """The same figures for the period of the same length just before (docs/reports.md, *Trend*):
    closed figures over that period, at-risk figures as it ended; None: not computed."""

    def stage(self, stage: str, by: str = "all", key: str | None = None) -> StageTime | None:
        """The stage time of one group, or None when no clock of it stopped."""
        for line in self.stages or ():
            if (line.stage, line.by, line.key) == (stage, by, key):
                return line
        return None

    @property
    def net_saved(self) -> Decimal | None:
        """ARR saved net of concessions: what the saves still bring in, less their cost."""
        if self.arr_kept is None or self.concessions is None:
            return None
        return self.arr_kept - self.concessions

    @property
    def cost_per_dollar(self) -> Decimal | None:
        """Concessions per dollar of ARR saved; None with nothing saved."""
        if self.concessions is None or not self.overall.arr_saved:
            return None
        return self.concessions / self.overall.arr_saved

    def kind(self, name: str) -> Figures:
        return dict(self.kinds).get(name, Figures())

    @property
    def lead_kind(self) -> str | None:
        """The kind with the most ARR at risk (ties: most open cases, then name)."""
        ranked = sorted((-f.arr_at_risk, -f.open, name) for name, f in self.kinds if f.open)
        return ranked[0][2] if ranked else None


# -- JSON -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_json(report: Report) -> dict[str, Any]:
    """The report as JSON-safe values (Decimals as strings, times as ISO 8601)."""
    data = asdict(report)
    data["kinds"] = [[name, asdict(f)] for name, f in report.kinds]
    data["previous"] = None if report.previous is None else to_json(report.previous)
    return _plain(data)


def _figures(data: dict[str, Any]) -> Figures:
    values: dict[str, Any] = {}
    for f in fields(Figures):
        raw = data.get(f.name)
        if f.name in ("root_causes", "competitors"):
            raw = tuple(
                Ranked(r["key"], r["label"], int(r["count"]), Decimal(r["arr"])) for r in raw or ()
            )
        elif raw is not None and (f.name.startswith("arr_")):
            raw = Decimal(raw)
        if raw is not None or f.name in ("involuntary", "arr_involuntary"):
            values[f.name] = raw
    return Figures(**values)


def from_json(data: dict[str, Any]) -> Report:
    """Read back what `to_json` wrote; raises KeyError/ValueError on a malformed document."""
    payment = data.get("payment") or {}
    ladder = payment.get("ladder")
    return Report(
        period=data["period"],
        start=datetime.fromisoformat(data["start"]),
        end=datetime.fromisoformat(data["end"]),
        generated_at=datetime.fromisoformat(data["generated_at"]),
        timezone=data.get("timezone") or "UTC",
        overall=_figures(data["overall"]),
        kinds=tuple((name, _figures(f)) for name, f in data.get("kinds", [])),
        payment=PaymentLine(
            open=int(payment.get("open", 0)),
            arr_at_risk=Decimal(payment.get("arr_at_risk", "0")),
            ladder=None
            if ladder is None
            else tuple(
                LadderLine(int(s["days_past_due"]), int(s["invoices"]), Decimal(s["amount"]))
                for s in ladder
            ),
        ),
        currency=data.get("currency", "USD"),
        arr_kept=_decimal(data.get("arr_kept")),
        concessions=_decimal(data.get("concessions")),
        lasted=None
        if data.get("lasted") is None
        else tuple(_lasted(line) for line in data["lasted"]),
        stages=None
        if data.get("stages") is None
        else tuple(StageTime(**line) for line in data["stages"]),
        slowest=None
        if data.get("slowest") is None
        else tuple(_slow(line) for line in data["slowest"]),
        previous=None if data.get("previous") is None else from_json(data["previous"]),
    )


def _slow(data: dict[str, Any]) -> SlowCase:
    return SlowCase(**{**data, "since": datetime.fromisoformat(data["since"])})


def _decimal(raw: Any) -> Decimal | None:
    return None if raw is None else Decimal(raw)


def _lasted(data: dict[str, Any]) -> LastedLine:
    values = {
        f.name: (Decimal(data[f.name]) if f.type in ("Decimal",) else int(data[f.name]))
        for f in fields(LastedLine)
        if f.name in data
    }
    return LastedLine(**values)
