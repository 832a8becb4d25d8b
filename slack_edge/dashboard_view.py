"""The App Home tab as Block Kit: the person's open cases and follow-ups, and for managers
and admins every open case (the dashboard `bot.cases.dashboard` gathers)."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.cases.dashboard import FollowUp, FollowUps, HomePage, step_label
from bot.cases.models import CaseListing
from slack_edge.case_list import case_line
from slack_edge.case_messages import esc, time_token

MAX_BLOCKS = 100
HOW_TO = (
    "Open a case with `/churn cancel &lt;account&gt; [reason]`, flag a risk with "
    "`/churn risk &lt;account&gt; &lt;kind&gt; [note]`, "
    "list cases with `/churn cases [mine|open|all]`."
)


def home_view(
    page: HomePage,
    report: Sequence[Block] = (),
    overdue: list[str] | None = None,
    alerts: Sequence[str] = (),
    hours: Sequence[Block] = (),
) -> View:
    """The whole tab; each list is capped, so the view stays under Slack's 100 blocks.
    `overdue`: overdue invoice lines, for finance people only; `alerts`: what Slack refuses
    (delivery paused, channels whose messages wait), for admins only; `hours`: the
    person's working hours and time off (slack_edge/hours_home.py), last."""
    blocks: list[Block] = [
        HeaderBlock(text="Savedesk"),
        _context(f"{HOW_TO}\nUpdated {time_token(page.now)}."),
        *_alerts(alerts),
        DividerBlock(),
        *([*report, DividerBlock()] if report else []),
        *_cases_section("Your open cases", page.mine, "You have no open cases. :tada:"),
        DividerBlock(),
        *_followups_section(page.followups),
    ]
    if page.everyone is not None:
        blocks += [
            DividerBlock(),
            *_cases_section("All open cases", page.everyone, "No open cases anywhere. :tada:"),
        ]
    if overdue is not None:
        text = "\n".join(f"• {line}" for line in overdue) or "No overdue invoices. :tada:"
        blocks += [DividerBlock(), _section(f"*Overdue invoices*\n{text}"[:3000])]
    if hours:
        blocks += [DividerBlock(), *hours]
    assert len(blocks) <= MAX_BLOCKS, f"home view has {len(blocks)} blocks"
    return View(type="home", blocks=blocks)


def _cases_section(title: str, listing: CaseListing, empty: str) -> list[Block]:
    if not listing.items:
        return [HeaderBlock(text=title), _section(empty)]
    return [
        HeaderBlock(text=title),
        *(_section(case_line(item)) for item in listing.items),
        _shown(len(listing.items), listing.total, "newest first"),
    ]


def _followups_section(followups: FollowUps) -> list[Block]:
    title = "Your follow-ups"
    if not followups.items:
        return [HeaderBlock(text=title), _section("No follow-ups are waiting on your cases.")]
    return [
        HeaderBlock(text=title),
        *(_section(_followup_line(f)) for f in followups.items),
        _shown(len(followups.items), followups.total, "soonest first"),
    ]


def _followup_line(followup: FollowUp) -> str:
    case, account, link = followup.item.case, followup.item.account, followup.item.link
    title = f"#{case.id} {esc(account.name)}"
    case_ref = f"<{link}|{title}>" if link else title
    return f"*{time_token(followup.due_at)}* · {step_label(followup.kind)} · {case_ref}"


def _shown(count: int, total: int, order: str) -> ContextBlock:
    return _context(f"showing {count} of {total}, {order}")


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _alerts(alerts: Sequence[str]) -> list[Block]:
    """Admins see at the top what keeps messages from Slack (five lines at most)."""
    if not alerts:
        return []
    lines = "\n".join(f"• {esc(line)}" for line in alerts[:5])
    return [SectionBlock(text=f":rotating_light: *Messages are not reaching Slack*\n{lines}")]
