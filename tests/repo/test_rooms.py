"""The rooms' rules that a grep cannot see: what services hand to handlers, and the one
lifecycle every status change goes through (docs/ARCHITECTURE.md, *Packages and arrows*)."""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path

import pytest

from bot.cases.models import ALLOWED_MOVES
from bot.common.vocab import CaseStatus
from bot.finance.dunning import DunningLadder
from bot.finance.listings import FinanceViews
from bot.finance.renewals import RenewalChecks
from bot.finance.stripe_service import StripeService
from bot.runtime import services as services_module
from storage.base import Base

ROOT = Path(__file__).resolve().parents[2]
ORM_CLASSES = {mapper.class_ for mapper in Base.registry.mappers}


def _service_classes() -> list[type]:
    """Every service class `Services` holds, plus the finance facade's parts."""
    hints = typing.get_type_hints(services_module.Services)
    found = [t for t in hints.values() if inspect.isclass(t) and t.__module__.startswith("bot.")]
    found += [StripeService, DunningLadder, RenewalChecks, FinanceViews]
    return sorted(set(found), key=lambda t: t.__qualname__)


def _mentions_orm(hint: object) -> list[type]:
    if inspect.isclass(hint) and hint in ORM_CLASSES:
        return [hint]  # type: ignore[list-item]
    return [c for arg in typing.get_args(hint) for c in _mentions_orm(arg)]


def _handler_facing(cls: type) -> list[tuple[str, object]]:
    """Public methods that open their own unit of work (no `session` parameter): what a
    listener can call. Methods taking the caller's session serve other domains inside it."""
    methods = []
    for name, fn in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") or "session" in inspect.signature(fn).parameters:
            continue
        methods.append((name, fn))
    return methods


@pytest.mark.parametrize("cls", _service_classes(), ids=lambda c: c.__qualname__)
def test_services_hand_handlers_frozen_views_never_orm_rows(cls: type) -> None:
    leaks = []
    for name, fn in _handler_facing(cls):
        hints = typing.get_type_hints(fn)
        for orm in _mentions_orm(hints.get("return")):
            leaks.append(f"{cls.__qualname__}.{name} -> {orm.__name__}")
    assert leaks == []


def test_the_guard_sees_a_leak() -> None:
    """The check above can fail: a method returning a row is caught."""

    class Leaky:
        def row(self) -> CaseRow: ...

    from storage.models import Case as CaseRow

    hints = typing.get_type_hints(Leaky.row, localns={"CaseRow": CaseRow})
    assert _mentions_orm(hints["return"]) == [CaseRow]
    assert _mentions_orm(CaseRow | None) == [CaseRow]


def _status_writes(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Attribute) and leaf.attr in ("status", "arr_saved"):
                    value = leaf.value
                    if isinstance(value, ast.Name) and value.id == "case":
                        lines.append(node.lineno)
    return lines


def test_only_the_lifecycle_changes_a_case_status_or_its_saved_arr() -> None:
    writers = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        found = _status_writes(path)
        if found:
            writers[str(path.relative_to(ROOT))] = found
    assert list(writers) == ["bot/cases/lifecycle.py"], writers


def test_every_status_has_its_moves_and_every_move_is_to_a_status() -> None:
    statuses = {status.value for status in CaseStatus}
    assert set(ALLOWED_MOVES) == statuses
    assert all(set(moves) <= statuses for moves in ALLOWED_MOVES.values())


def _slack_edge_imports(path: Path) -> list[int]:
    """Lines importing slack_edge anywhere in the module, inside functions too."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        else:
            continue
        if any(name.split(".")[0] == "slack_edge" for name in names):
            lines.append(node.lineno)
    return lines


def test_arrows_point_one_way_bot_never_imports_slack_edge() -> None:
    """docs/ARCHITECTURE.md, *Packages and arrows*: slack_edge renders what bot decides,
    handed over through bot.ports.Presenter; bot never reaches back."""
    found = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if lines := _slack_edge_imports(path):
            found[str(path.relative_to(ROOT))] = lines
    assert found == {}


def test_the_presenter_takes_views_never_orm_rows_and_slack_implements_all_of_it() -> None:
    from bot.ports import Presenter
    from slack_edge.presenter import SlackPresenter

    methods = [n for n, _ in inspect.getmembers(Presenter, inspect.isfunction) if n[0] != "_"]
    assert methods and all(callable(getattr(SlackPresenter, n, None)) for n in methods)
    for name in methods:
        hints = typing.get_type_hints(getattr(SlackPresenter, name))
        leaks = [orm for hint in hints.values() for orm in _mentions_orm(hint)]
        assert leaks == [], name
