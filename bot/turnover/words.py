"""What a turnover says in Slack, as mrkdwn text (the Block Kit around it is built elsewhere).

Names typed by people (contact, company, competitor) are escaped with Slack's three escapes
so a name can never become a mention or a link.
"""

from __future__ import annotations

from datetime import timedelta

from bot.common.text import esc
from bot.turnover.answers import (
    ANSWER_ENUMS,
    QUESTIONS,
    Answers,
    Coverage,
    Destination,
    Replacement,
)


def progress_line(contact_name: str, percent: int) -> str:
    """The root message's line for one departed contact: `Dana: plan 40% complete`."""
    return f"{esc(contact_name)}: plan {percent}% complete"


def answer_lines(answers: Answers) -> list[str]:
    """The answers as `*question:* answer` lines, names next to the choice that asks them."""
    a = answers.normalized()
    coverage = a.coverage.label
    if a.coverage is Coverage.OTHER_CONTACT and a.other_contact_name:
        coverage += f" ({esc(a.other_contact_name)})"
    destination = a.destination.label
    if a.destination is Destination.ANOTHER_COMPANY:
        destination += f" ({esc(a.new_company or 'company not known yet')})"
    replacement = a.replacement.label
    if a.replacement is Replacement.EXTERNAL_COMPETITOR and a.competitor:
        replacement += f" ({esc(a.competitor)})"
    lines = [
        f"*{QUESTIONS['contact_name']}:* {esc(a.contact_name)}",
        f"*{QUESTIONS['learned_timing']}:* {a.learned_timing.label}",
        f"*{QUESTIONS['coverage']}:* {coverage}",
        f"*{QUESTIONS['destination']}:* {destination}",
        f"*{QUESTIONS['role_fate']}:* {a.role_fate.label}",
        f"*{QUESTIONS['replacement']}:* {replacement}",
    ]
    if a.note:
        lines.append(f"*{QUESTIONS['note']}:* {esc(a.note)}")
    return lines


def changed_answers(before: Answers, after: Answers) -> list[str]:
    """`question: old → new` for each answer that changed (for the timeline line)."""
    old, new = before.as_columns(), after.as_columns()
    changes = []
    for field, question in QUESTIONS.items():
        if old[field] != new[field]:
            changes.append(f"{question}: {_shown(field, old[field])} → {_shown(field, new[field])}")
    return changes


def _shown(field: str, value: str | None) -> str:
    if value is None:
        return "—"
    enum = ANSWER_ENUMS.get(field)
    return enum(value).label if enum else esc(value)


def lead_text(answers: Answers, account_name: str, csm: str | None, case_link: str | None) -> str:
    """The sales lead: who left, where to, which account they came from, the CSM, a link."""
    a = answers.normalized()
    company = esc(a.new_company) if a.new_company else "_a company not known yet_"
    lines = [
        f":handshake: *Lead:* {esc(a.contact_name)}, a champion at {esc(account_name)}, "
        f"has moved to {company}.",
        f"*Came from:* {esc(account_name)}   *CSM:* {f'<@{csm}>' if csm else '_none_'}",
    ]
    if case_link:
        lines.append(f"<{case_link}|Open the case>")
    return "\n".join(lines)


def lead_line(answers: Answers) -> str:
    """Who went where, for the thread's "Lead sent to sales" line: the company typed in
    the modal ("Gavin Belson at Raviga"), or "another company" when none was given."""
    a = answers.normalized()
    company = esc(a.new_company) if a.new_company else "another company"
    return f"{esc(a.contact_name)} at {company}"


def human_duration(delta: timedelta) -> str:
    """A time at risk people read at a glance: `9 days 4 hours`, `3 hours 5 minutes`."""
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    shown = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n][:2]
    return " ".join(shown) or "less than a minute"


def risk_ended_line(contact_name: str, delta: timedelta, why: str) -> str:
    """Timeline line when the time at risk stops (`why`: plan complete / case closed)."""
    return f"Time at risk for {esc(contact_name)}: {human_duration(delta)} ({why})."


def tick_line(step_text: str, contact_name: str, done: bool) -> str:
    """Timeline line for a tick or an untick."""
    verb = "done" if done else "not done any more"
    return f"Plan step {verb} ({esc(contact_name)}): {esc(step_text)}"


def assign_line(step_text: str, assignee: str | None) -> str:
    """Timeline line when a step is given to someone."""
    to = f"<@{assignee}>" if assignee else "nobody in particular"
    return f"Plan step assigned to {to}: {esc(step_text)}"
