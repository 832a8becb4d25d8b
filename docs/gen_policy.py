"""The policy reference (docs/policy.md), generated from the policy model so it cannot drift.

Each section of the policy file is a frozen dataclass of `bot.policy.models` (or of the
domain that owns it: turnover plans, outbound webhooks); its keys are the dataclass's
fields, their types the annotations, their defaults the built-in `Policy()`'s values and
their meaning each field's docstring (or trailing comment). A field without a description
stops the build. `SECTIONS` below is the only hand-written part: which dataclass is which
TOML table; tests/repo/test_docs.py fails when a model field is not in it.

Run `python -m docs.gen_policy` to rewrite docs/policy.md (the site regenerates it on every
build through docs/hooks.py; the committed copy is for reading it in the repository).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import json
import re
import textwrap
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.common.policy_keys import ACCOUNT_ROLES, OWNER_ROLES
from bot.hours.policy import PeoplePolicy
from bot.outbound.names import EVENT_TYPES
from bot.outbound.policy import OutboundWebhook
from bot.policy.models import (
    DAY_NAMES,
    KINDS,
    NO_APPROVAL,
    ROLE_NAMES,
    ApprovalRule,
    Channels,
    Dunning,
    DunningStep,
    Escalation,
    Policy,
    Reports,
    RoutingRule,
    Signals,
    SurveyReason,
    WeeklySchedule,
)
from bot.survey.policy import MonthlySchedule
from bot.turnover.answers import ANSWER_ENUMS, QUESTIONS
from bot.turnover.policy import ExtraStep, PlanRule, TurnoverPolicy

PAGE = Path(__file__).resolve().parent / "policy.md"
DOC_REF = re.compile(r"docs/(\w+)\.md, \*([^*]+)\*")


@dataclass(frozen=True)
class Section:
    """One table of the policy file: `toml` is its key path ("" for the top level), `cls`
    the dataclass whose `fields` are its keys, `value` the built-in value of that table
    (for an array of tables, the built-in entries)."""

    toml: str
    cls: type
    fields: tuple[str, ...]
    value: object
    array: bool = False
    intro: str = ""


def _sections() -> tuple[Section, ...]:
    base = Policy()
    top = ("timezone", "business_hours", "business_days", "currency")
    return (
        Section("", Policy, top, base, intro="The keys outside any table."),
        Section("channels", Channels, _names(Channels), base.channels),
        Section("roles", Policy, ("roles",), base.roles),
        Section("routing", RoutingRule, _names(RoutingRule), base.routing, array=True),
        Section("escalation", Escalation, _names(Escalation), base.escalation),
        Section("offers", Policy, ("move_on_confirm_above_arr",), base),
        Section("offers.approval", ApprovalRule, _names(ApprovalRule), base.approvals, True),
        Section("dunning", Dunning, _names(Dunning), base.dunning),
        Section("dunning.steps", DunningStep, _names(DunningStep), base.dunning.steps, True),
        Section("signals", Signals, _names(Signals), base.signals),
        Section("reports", Reports, _names(Reports), base.reports),
        Section("survey.reasons", SurveyReason, _names(SurveyReason), base.survey_reasons, True),
        Section("turnover.plans", PlanRule, _names(PlanRule), base.turnover.plans, True),
        Section("outbound_webhooks", OutboundWebhook, _names(OutboundWebhook), (), array=True),
        Section("people", PeoplePolicy, _names(PeoplePolicy), base.people_rules),
    )


CONTAINERS: dict[tuple[type, str], type] = {
    (Policy, "channels"): Channels,
    (Policy, "routing"): RoutingRule,
    (Policy, "escalation"): Escalation,
    (Policy, "approvals"): ApprovalRule,
    (Policy, "dunning"): Dunning,
    (Dunning, "steps"): DunningStep,
    (Policy, "signals"): Signals,
    (Policy, "reports"): Reports,
    (Policy, "survey_reasons"): SurveyReason,
    (Policy, "turnover"): TurnoverPolicy,
    (TurnoverPolicy, "plans"): PlanRule,
    (Policy, "outbound_webhooks"): OutboundWebhook,
    (Policy, "people_rules"): PeoplePolicy,
}
"""Fields that are tables of their own (rendered as their section), not keys."""

SUBKEYS: dict[tuple[type, str], type] = {(PlanRule, "steps"): ExtraStep}
"""Keys whose value may be a table of its own: each of its keys gets a row `key[].sub`."""

NOT_IN_FILE: frozenset[tuple[type, str]] = frozenset({(Policy, "source")})
"""Model fields the file does not set."""

KEY_NAMES: dict[tuple[type, str], str] = {
    (RoutingRule, "segments"): "segment",
    (PlanRule, "segments"): "segment",
    (OutboundWebhook, "key"): "secret",
}
"""Fields whose key in the file has another name."""

DEFAULT_WORDS: dict[tuple[type, str], str] = {(ExtraStep, "key"): "from the text"}
"""Defaults the parser fills in where the model has none."""

IDENTIFIERS = frozenset({*OWNER_ROLES, *ROLE_NAMES, NO_APPROVAL, "owner"})
"""Words a description may start with that are values, so never capitalised."""

REQUIRED_IN_FILE: frozenset[tuple[type, str]] = frozenset({(SurveyReason, "owner")})
"""Fields the built-in defaults leave empty but an entry in the file must set."""

CHOICES: dict[tuple[type, str], tuple[str, ...]] = {
    (RoutingRule, "owner"): OWNER_ROLES,
    (RoutingRule, "kinds"): KINDS,
    (ApprovalRule, "approver"): (NO_APPROVAL, *ROLE_NAMES),
    (DunningStep, "notify"): (*ACCOUNT_ROLES, *ROLE_NAMES),
    (OutboundWebhook, "events"): EVENT_TYPES,
    (Policy, "business_days"): DAY_NAMES,
}
"""The values a key takes, from the model's own vocabularies (or a person, where said)."""

TYPES: dict[str, str] = {
    "str": "string",
    "str | None": "string",
    "int": "integer",
    "Decimal | None": "number",
    "timedelta": "duration",
    "timedelta | None": 'duration, or ""',
    "tuple[str, ...]": "list of strings",
    "ZoneInfo": "time zone name",
    "tuple[time, time] | None": '"HH:MM-HH:MM", or ""',
    "frozenset[int]": "list of day names",
    "Mapping[str, tuple[str, ...]]": "list of people",
    "WeeklySchedule | None": '"<day> HH:MM", or ""',
    "MonthlySchedule | None": '"<1st-28th> HH:MM", or ""',
    "tuple[int | str, ...]": 'list of days and "renewal"',
    "bytes": 'string, "whsec_…"',
    "tuple[ExtraStep, ...]": "list of strings or tables",
    "Mapping[str, frozenset[str]]": "string or list of strings",
}
"""How each annotation of the model reads in TOML; a new type stops the build until named."""


def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


# --- descriptions: attribute docstrings and trailing comments -------------------------------


@cache
def field_docs(cls: type) -> dict[str, str]:
    """Each field's docstring (the string right after it), else its trailing comment."""
    source = textwrap.dedent(inspect.getsource(cls))
    body = ast.parse(source).body[0].body  # type: ignore[attr-defined]
    comments = {
        tok.start[0]: tok.string.lstrip("#").strip()
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type == tokenize.COMMENT
    }
    docs: dict[str, str] = {}
    for node, after in zip(body, [*body[1:], None], strict=True):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
            docs[node.target.id] = " ".join(str(after.value.value).split())
        elif node.end_lineno in comments:
            docs[node.target.id] = comments[node.end_lineno]
    return docs


def describe_field(cls: type, name: str) -> str:
    """The field's description; `LookupError` when the model has none (the build fails)."""
    doc = field_docs(cls).get(name)
    if not doc:
        raise LookupError(f"{cls.__name__}.{name} has no docstring or comment to document it")
    first = doc.split(maxsplit=1)[0].strip(",;:")
    if "_" not in first and first not in IDENTIFIERS:
        doc = doc[0].upper() + doc[1:]
    doc = linked(doc.rstrip(".")) + "."
    choices = CHOICES.get((cls, name))
    if choices:
        doc = doc.rstrip(".") + ". Values: " + ", ".join(f"`{c}`" for c in choices) + "."
    return doc


def linked(text: str) -> str:
    """`docs/reports.md, *Did the save last?*` in a docstring → a link to that section."""
    return DOC_REF.sub(lambda m: f"[{m[2]}]({m[1]}.md#{_slug(m[2])})", text)


def _slug(title: str) -> str:
    return re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "", title).strip().lower())


def type_words(cls: type, name: str) -> str:
    """The field's annotation in TOML words; `LookupError` for a type not in `TYPES`."""
    annotation = str(cls.__annotations__[name])
    if annotation not in TYPES:
        raise LookupError(f"{cls.__name__}.{name}: name the TOML type of {annotation!r}")
    return TYPES[annotation]


# --- values in TOML ------------------------------------------------------------------------


def toml(value: object) -> str:
    """A model value as it would be written in the policy file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return json.dumps(duration(value))
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral() else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, ZoneInfo):
        return json.dumps(value.key)
    if isinstance(value, WeeklySchedule | MonthlySchedule | str):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, time) for v in value):
        return json.dumps(f"{value[0]:%H:%M}-{value[1]:%H:%M}")
    if isinstance(value, frozenset):
        return toml(tuple(DAY_NAMES[d] for d in sorted(value)))
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def duration(value: timedelta) -> str:
    """`timedelta(days=14)` → "2w": the largest unit of `30s`, `15m`, `4h`, `2d`, `1w`."""
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def default_cell(cls: type, name: str, value: object) -> str:
    """What applies when the key is left out."""
    if (cls, name) in DEFAULT_WORDS:
        return DEFAULT_WORDS[(cls, name)]
    if (cls, name) in REQUIRED_IN_FILE:
        return "required"
    if value is dataclasses.MISSING:
        return "required"
    if value is None:
        return "unset"
    if value == () or value == {}:
        return "none"
    return f"`{toml(value)}`"


def entry_default(cls: type, name: str) -> object:
    """The default of a field in one entry of an array of tables."""
    spec = next(f for f in dataclasses.fields(cls) if f.name == name)
    if spec.default is not dataclasses.MISSING:
        return spec.default
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return dataclasses.MISSING


# --- the page ------------------------------------------------------------------------------

HEADER = """\
# Policy reference

<!-- Generated by docs/gen_policy.py from the policy model (bot/policy/models.py and the
sections other domains own); do not edit: describe a field in its dataclass instead. -->

The policy is the TOML file `POLICY_FILE` names (default `policy.toml`); copy
`policy.example.toml`, which is complete and commented, and edit it. Every table and key
is optional unless marked required, and takes the default below; an unknown key, or a value
of the wrong kind, stops start-up and `python app.py check` with one line naming its key
path, for example `policy.toml: escalation.acknowledge_within: "4x" is not a duration`
(every malformed duration, and the first problem of each other section, joined by `; `).

- **Durations** are strings: `"30s"`, `"15m"`, `"4h"`, `"2d"`, `"1w"` (`d` is 24 hours).
- **People** are Slack user IDs (`U…`), emails (looked up with `users.lookupByEmail`) or
  user groups (`@handle`).
- **Money** (ARR, offer values) is a number in the account's currency.
- A **list of tables** (`[[routing]]`) is tried in file order where the first match decides;
  writing one entry replaces the built-in entries shown under its table.
"""


def policy_reference() -> str:
    """The page's Markdown (raises `LookupError` for an undocumented field or a new type)."""
    return HEADER + "".join(render_section(s) for s in _sections())


def render_section(section: Section) -> str:
    """A heading, the table's docstring, one row per key, and the built-in entries."""
    title = "Top level" if not section.toml else _bracket(section)
    intro = section.intro or (
        inspect.getdoc(section.cls) or "" if section.cls is not Policy else ""
    )
    parts = [f"\n## {title}\n\n"]
    if intro:
        parts.append(" ".join(intro.split()) + "\n\n")
    parts.append("| key | type | default | meaning |\n|---|---|---|---|\n")
    parts += [_row(*row) for row in rows(section)]
    if section.array and section.value:
        parts.append(f"\nBuilt in, while the file has no `{_bracket(section)}`:\n\n")
        parts.append("```toml\n" + "\n".join(_entry(section, e) for e in section.value) + "```\n")
    return "".join(parts)


def rows(section: Section) -> Iterator[tuple[str, str, str, str]]:
    """(key, type, default, meaning) for each key of the section."""
    cls = section.cls
    for name in section.fields:
        if (cls, name) in CONTAINERS or (cls, name) in NOT_IN_FILE:
            continue
        if section.toml == "roles":
            for role in ROLE_NAMES:
                yield role, type_words(cls, name), "none", describe_field(cls, name)
            continue
        if (cls, name) == (PlanRule, "answers"):
            yield from _answer_rows()
            continue
        value = entry_default(cls, name) if section.array else getattr(section.value, name)
        key = KEY_NAMES.get((cls, name), name)
        yield key, type_words(cls, name), default_cell(cls, name, value), describe_field(cls, name)
    for (owner, key), sub in SUBKEYS.items():
        if owner is cls:
            for name in _names(sub):
                cell = default_cell(sub, name, entry_default(sub, name))
                yield f"{key}[].{name}", type_words(sub, name), cell, describe_field(sub, name)


def _answer_rows() -> Iterator[tuple[str, str, str, str]]:
    base = describe_field(PlanRule, "answers")
    for name, enum in ANSWER_ENUMS.items():
        values = ", ".join(f"`{member.value}`" for member in enum)
        meaning = f"{base} *{QUESTIONS[name]}*; one of: {values}."
        yield name, type_words(PlanRule, "answers"), "any", meaning


def covered() -> set[tuple[type, str]]:
    """Every (dataclass, field) the page documents or renders as a section of its own."""
    found = set(CONTAINERS) | set(NOT_IN_FILE)
    for section in _sections():
        found.update((section.cls, name) for name in section.fields)
    for sub in SUBKEYS.values():
        found.update((sub, name) for name in _names(sub))
    return found


def _bracket(section: Section) -> str:
    return f"[[{section.toml}]]" if section.array else f"[{section.toml}]"


def _row(key: str, kind: str, default: str, meaning: str) -> str:
    cells = (f"`{key}`", kind, default, meaning)
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n"


def _entry(section: Section, entry: object) -> str:
    lines = [f"{_bracket(section)}\n"]
    for name in _names(section.cls):
        value, default = getattr(entry, name), entry_default(section.cls, name)
        if value != default and value is not None:
            lines.append(f"{KEY_NAMES.get((section.cls, name), name)} = {toml(value)}\n")
    return "".join(lines)


def main() -> None:
    """Rewrite docs/policy.md from the model."""
    PAGE.write_text(policy_reference(), encoding="utf-8")
    print(f"wrote {PAGE}")


if __name__ == "__main__":
    main()
