"""Every closed set is an enum, and code says its members by name (docs/ARCHITECTURE.md,
*Where a new domain goes*, 1. Vocabulary): a bare string literal equal to one of their
values, compared with something (`==`, `!=`, `in (...)`), assigned to a vocabulary name
(`x.state = "sent"`, `state="sent"`, `{"state": ...}`, a parameter's default, `SENT = "sent"`),
or spelling out a set or table of one enum's values (`("pending", "asked")`,
`{"saved": ...}`), fails here. Positional arguments are not checked (too many plain words)."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path

import storage.vocab
from bot.finance.invoices import RecordOutcome
from bot.finance.stripe_service import EventOutcome
from bot.offers.models import OfferDecision
from bot.outbox.outcomes import ResultKind
from bot.policy import OwnerRole
from bot.signals.models import Watched
from bot.writeback.offers import PlanKind
from bot.writeback.service import RenewalAction
from slack_edge.labels import RISK_LABELS, STATUS_LABELS
from storage.vocab import CaseEventType, CaseStatus, Labelled, RiskLevel

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("bot", "storage", "handlers", "slack_edge")
SKIPPED = ("storage/migrations",)  # migrations are frozen text: they never import enums
DOMAIN_ENUMS: tuple[type[StrEnum], ...] = (
    OfferDecision,
    ResultKind,
    EventOutcome,
    RecordOutcome,
    Watched,
    PlanKind,
    RenewalAction,
    OwnerRole,
)
# Names that hold a closed set's value: assigning a bare member's string to one fails.
VOCABULARY_NAMES = {
    "status", "state", "outcome", "answer", "kind", "decision", "source", "relation",
    "risk", "track", "scope",
}  # fmt: skip
# Where a bare value is still allowed, and why: (path, value); value None: the whole file.
ALLOWED = {
    # words that are also case event types (`CaseEventType`) but name something else there
    ("bot/checkins/service.py", "stripe"): "`save_checkins.answered_by`: Stripe, not a person",
    ("storage/finance.py", "stripe"): "`inbound_events.source`: the sender",
    ("bot/policy/parse.py", "routing"): "the policy file's `[routing]` table",
    ("slack_edge/turnover_modals.py", "note"): "the turnover modal's note field",
    ("bot/setup/answers.py", "yes"): "a word typed at the wizard's prompt",
    ("handlers/listeners/home.py", "home"): "Slack's App Home tab name",
    ("bot/hours/policy.py", "working"): "the escalation clock's policy word",
    ("bot/survey/answers.py", "other"): "the survey's catch-all reason key",
    ("bot/writeback/stripe_api.py", "all"): "Stripe's list filter",
    ("bot/hours/window.py", "all"): "a word typed in `/churn hours`",
    ("bot/imports/accounts.py", "csm"): "the accounts CSV's column",
    ("bot/imports/accounts.py", "account_owner"): "the accounts CSV's column",
}


def _closed_sets() -> list[type[StrEnum]]:
    stored = [
        v
        for v in vars(storage.vocab).values()
        if inspect.isclass(v) and issubclass(v, StrEnum) and v.__members__
    ]
    return stored + list(DOMAIN_ENUMS)


def _values() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for enum in _closed_sets():
        for member in enum:
            found.setdefault(member.value, []).append(f"{enum.__name__}.{member.name}")
    return found


VALUES = _values()


def _enums_of(value: str) -> list[str]:
    return [member.split(".")[0] for member in VALUES[value]]


def _name(node: ast.AST) -> str | None:
    """The last identifier of `a.b.c`, `c` or `a["c"]`: what the value is called."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return None


def _literals(node: ast.AST | None) -> Iterator[ast.Constant]:
    """String constants in `node`, in a tuple / list / set literal it is, or either branch of
    a conditional expression it is."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for element in node.elts:
            yield from _literals(element)
    elif isinstance(node, ast.IfExp):  # `"sent" if ok else "failed"`
        yield from _literals(node.body)
        yield from _literals(node.orelse)


def _vocabulary_name(name: str | None) -> bool:
    return name is not None and (name in VOCABULARY_NAMES or name.endswith(("_state", "_status")))


def _is_enum_class(node: ast.ClassDef) -> bool:
    return any(_name(b) in {"StrEnum", "Labelled", "TurnoverAnswer"} for b in node.bases)


class _Scan(ast.NodeVisitor):
    def __init__(self) -> None:
        self.hits: list[tuple[int, str]] = []

    def _flag(self, nodes: Iterable[ast.Constant]) -> None:
        for node in nodes:
            if node.value in VALUES and (node.lineno, node.value) not in self.hits:
                self.hits.append((node.lineno, node.value))

    def _flag_spelled_out(self, literals: list[ast.expr | None]) -> None:
        """Two or more literals, all values of one enum: a set or table of that enum."""
        strings = [n.value for n in literals if isinstance(n, ast.Constant)]
        if len(strings) < 2 or len(strings) != len(literals):
            return
        if not all(isinstance(v, str) and v in VALUES for v in strings):
            return
        shared = set.intersection(*(set(_enums_of(v)) for v in strings))
        if shared:
            self._flag(n for n in literals if isinstance(n, ast.Constant))

    def visit_Tuple(self, node: ast.Tuple) -> None:
        self._flag_spelled_out(list(node.elts))
        self.generic_visit(node)

    visit_List = visit_Tuple
    visit_Set = visit_Tuple

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not _is_enum_class(node):  # an enum's own body is where its strings belong
            self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for side in (node.left, *node.comparators):
            self._flag(_literals(side))
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        """`x.state = "sent"`, and `SENT = "sent"`: a second name for a member, outside it."""
        for target in node.targets:
            pairs = (
                zip(target.elts, node.value.elts, strict=False)
                if (isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple))
                else [(target, node.value)]
            )
            for name, value in pairs:
                called = _name(name)
                if _vocabulary_name(called) or (
                    (called or "").isupper() and isinstance(value, ast.Constant)
                ):
                    self._flag(_literals(value))
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        if _vocabulary_name(node.arg):
            self._flag(_literals(node.value))
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        self._flag_spelled_out(list(node.keys))
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and _vocabulary_name(str(key.value)):
                self._flag(_literals(value))
        self.generic_visit(node)

    def visit_arguments(self, node: ast.arguments) -> None:
        positional = [*node.posonlyargs, *node.args]
        defaults = zip(
            positional[len(positional) - len(node.defaults) :], node.defaults, strict=True
        )
        kw_defaults = zip(node.kwonlyargs, node.kw_defaults, strict=True)
        for arg, default in [*defaults, *kw_defaults]:
            if default is not None and _vocabulary_name(arg.arg):
                self._flag(_literals(default))
        self.generic_visit(node)


def _sources() -> Iterator[Path]:
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative == "storage/vocab.py" or relative.startswith(SKIPPED):
                continue
            yield path


def bare_values(source: str) -> list[tuple[int, str]]:
    """(line, value) of every bare closed-set value the rule forbids in `source`."""
    scan = _Scan()
    scan.visit(ast.parse(source))
    return sorted(scan.hits)


def test_closed_sets_are_said_by_member_name_not_bare_strings() -> None:
    found = []
    for path in _sources():
        relative = path.relative_to(ROOT).as_posix()
        if (relative, None) in ALLOWED:
            continue
        for line, value in bare_values(path.read_text()):
            if (relative, value) in ALLOWED:
                continue
            members = ", ".join(VALUES[value])
            found.append(f"{relative}:{line}: {value!r} (say {members})")
    assert found == []


def test_the_rule_sees_comparisons_assignments_keywords_and_defaults() -> None:
    source = """
if row.state == "sent" or kind in ("retrying", "paused"): pass
row.state = "failed"
decision = status if ok else "approved"
CONTACT_LEFT = "contact_left"
finish(state="superseded")
values = {"state": "pending"}
def finish(state: str = "done"): pass
"""
    expected = ["sent", "retrying", "paused", "failed", "approved", "contact_left"]
    expected += ["superseded", "pending", "done"]
    assert sorted(v for _, v in bare_values(source)) == sorted(expected)


def test_the_rule_sees_sets_and_tables_spelled_out_of_one_enum() -> None:
    source = """
OPEN = ("pending", "asked")
WORDS = {"saved": "marked saved", "churned": "marked churned"}
MIXED = ("pending", "weekdays")
"""
    assert sorted(v for _, v in bare_values(source)) == ["asked", "churned", "pending", "saved"]


def test_case_event_types_are_a_closed_set_too() -> None:
    """`case_events.type` is `CaseEventType` (storage/vocab.py): its values are said by name."""
    assert CaseEventType in _closed_sets()
    source = """
if type == "offer_accepted" or event.type in ("owner_away", "handed_back"): pass
"""
    found = sorted(v for _, v in bare_values(source))
    assert found == ["handed_back", "offer_accepted", "owner_away"]


def test_the_rule_leaves_words_that_are_no_closed_set_alone() -> None:
    source = """
if dialect == "postgresql" or text in ("weekdays",): pass
label = "sent"
class Mine(StrEnum):
    SENT = "sent"
"""
    assert bare_values(source) == []


def test_storage_labels_are_plain_words_and_slack_dresses_status_and_risk() -> None:
    """Emoji are Slack's (slack_edge/labels.py); storage keeps plain words only."""
    labelled = [
        v for v in vars(storage.vocab).values() if inspect.isclass(v) and issubclass(v, Labelled)
    ]
    emoji = [m.label for enum in labelled for m in enum if re.search(r":[a-z0-9_+-]+:", m.label)]
    assert emoji == []
    assert set(STATUS_LABELS) == set(CaseStatus) and set(RISK_LABELS) == set(RiskLevel)
    assert STATUS_LABELS["new"] == ":new: New" and RISK_LABELS["high"] == ":red_circle: high"
