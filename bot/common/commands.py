"""Parsing `/churn` text into a command. Never raises: bad input becomes `Usage`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from bot.common.vocab import CaseScope
from bot.hours.commands import Away, Hours, parse_away, parse_hours
from bot.policy import KINDS

# Slack clients turn straight quotes into curly ones; accept both.
QUOTES = {
    '"': '"',
    "\u201c": "\u201d",
    "\u201d": "\u201d",
    "'": "'",
    "\u2018": "\u2019",
    "\u2019": "\u2019",
}
CASE_SCOPES = tuple(CaseScope)
REPORT_PERIODS = ("week", "month", "quarter")
MAX_TEXT = 3000


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Usage:
    """Malformed input: answer with usage, prefixed by what was wrong."""

    problem: str


@dataclass(frozen=True)
class Cancel:
    account: str | None
    reason: str


@dataclass(frozen=True)
class Risk:
    account: str | None
    kind: str | None
    note: str


@dataclass(frozen=True)
class Cases:
    scope: str


@dataclass(frozen=True)
class Report:
    period: str


@dataclass(frozen=True)
class Invoices:
    overdue: bool


Command = Help | Usage | Cancel | Risk | Cases | Report | Invoices | Hours | Away


def next_token(text: str) -> tuple[str, str]:
    """Split off the first word, or a quoted phrase ("Acme Corp", “Acme Corp”)."""
    text = text.strip()
    if not text:
        return "", ""
    closing = QUOTES.get(text[0])
    if closing is not None:
        end = text.find(closing, 1)
        if end > 0:
            return text[1:end].strip(), text[end + 1 :].strip()
    head, _, rest = text.partition(" ")
    return head.strip(), rest.strip()


def parse(text: str) -> Command:
    """Turn the text after `/churn` into a command."""
    text = " ".join((text or "").split())
    if len(text) > MAX_TEXT:
        return Usage(f"that is {len(text):,} characters; keep it under {MAX_TEXT:,}")
    sub, rest = next_token(text)
    sub = sub.lower()
    if sub in ("", "help", "?"):
        return Help()
    parser = _PARSERS.get(sub)
    if parser is None:
        near = difflib.get_close_matches(sub, _PARSERS, n=1, cutoff=0.6)
        hint = f"; did you mean `{near[0]}`?" if near else ""
        return Usage(f"`{sub[:40]}` is not a /churn command{hint}")
    return parser(rest)


def _cancel(rest: str) -> Command:
    account, reason = next_token(rest)
    return Cancel(account=account or None, reason=reason)


def _risk(rest: str) -> Command:
    account, rest = next_token(rest)
    kind, note = next_token(rest)
    kind = kind.lower()
    if kind and kind not in KINDS:
        return Usage(f"`{kind[:40]}` is not a risk kind (use {', '.join(KINDS)})")
    return Risk(account=account or None, kind=kind or None, note=note)


def _cases(rest: str) -> Command:
    scope = (rest.split() or [CaseScope.MINE])[0].lower()
    if scope not in CASE_SCOPES or len(rest.split()) > 1:
        return Usage(f"`/churn cases` takes one of {', '.join(CASE_SCOPES)}")
    return Cases(scope=scope)


def _report(rest: str) -> Command:
    period = (rest.split() or ["week"])[0].lower()
    if period not in REPORT_PERIODS or len(rest.split()) > 1:
        return Usage(f"`/churn report` takes one of {', '.join(REPORT_PERIODS)}")
    return Report(period=period)


def _invoices(rest: str) -> Command:
    words = rest.lower().split()
    if words not in ([], ["overdue"]):
        return Usage("`/churn invoices` takes nothing or `overdue`")
    return Invoices(overdue=bool(words))


def _hours(rest: str) -> Command:
    parsed = parse_hours(rest)
    return Usage(parsed) if isinstance(parsed, str) else parsed


def _away(rest: str) -> Command:
    parsed = parse_away(rest)
    return Usage(parsed) if isinstance(parsed, str) else parsed


_PARSERS = {
    "hours": _hours,
    "away": _away,
    "cancel": _cancel,
    "risk": _risk,
    "cases": _cases,
    "report": _report,
    "invoices": _invoices,
}
