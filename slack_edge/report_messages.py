"""What Savedesk says in Slack about the revenue-at-risk report: the post (narrative,
figures per kind, top root causes, payment line) and the leaders' App Home section.

Built with slack_sdk's Block Kit models so Slack's limits are checked before Slack sees
the payload; the words come from bot/reports (message.py, narrative.py).
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.reports.models import Report
from bot.reports.narrative import narrative
from bot.reports.stages import stage_lines
from bot.reports.words import (
    TITLES,
    before_of,
    figure_line,
    kind_label,
    payment_line,
    title,
    top_line,
    trust_lines,
)

MAX_TEXT = 3000
MAX_KINDS = 20


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:MAX_TEXT]))


def fit_lines(lines: list[str], limit: int = MAX_TEXT) -> str:
    """The stage-time lines in one section of at most `limit` characters (Slack's section
    text limit), cut between lines, never inside one: the first (all cases) and the last
    (the slowest open cases, which the report must name) always stay; the kinds and owners
    between them as they fit, then how many were left out (the CSV has them all)."""
    text = "\n".join(lines)
    if len(text) <= limit or len(lines) < 3:
        return text
    head, middle, tail = lines[0], lines[1:-1], lines[-1]
    note = f"_…and {len(middle)} more; every kind and owner is in the CSV export_"
    room = limit - len(head) - len(tail) - len(note) - 3
    kept: list[str] = []
    for line in middle:
        if len(line) + 1 > room:
            break
        kept.append(line)
        room -= len(line) + 1
    note = f"_…and {len(middle) - len(kept)} more; every kind and owner is in the CSV export_"
    return "\n".join([head, *kept, note, tail])[:limit]


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:MAX_TEXT])])


def working_text(period: str) -> str:
    """The ephemeral answer to `/churn report`, before the post arrives."""
    days = {"week": 7, "month": 30, "quarter": 90}[period]
    return (
        f"Working on the revenue-at-risk report for the last {days} days; it will be posted here."
    )


def report_blocks(report: Report) -> list[Block]:
    """The narrative, then every figure overall and per kind, top lists, payment line."""
    cur = report.currency
    blocks: list[Block] = [
        _section(" ".join(narrative(report))),
        DividerBlock(),
        _section(f"*All churn risks*\n{figure_line(report.overall, cur, before_of(report))}"),
    ]
    trusted = trust_lines(report)
    if trusted:
        blocks.append(_section("\n".join(f"*{label}*: {line}" for label, line in trusted)))
    stages = stage_lines(report)
    if stages:
        blocks.append(_section(fit_lines([f"*{label}*: {line}" for label, line in stages])))
    for kind, f in report.kinds[:MAX_KINDS]:
        line = figure_line(f, cur, before_of(report, kind))
        blocks.append(_section(f"*{kind_label(kind)}*\n{line}"))
    extra = [
        f"*{label}*: {top}"
        for label, which in (("Top root causes", "root_causes"), ("Top competitors", "competitors"))
        if (top := top_line(report, which)) is not None
    ]
    extra.append(f"*Payment track*: {payment_line(report)}")
    blocks.append(_section("\n".join(extra)))
    return blocks


def report_post(report: Report) -> tuple[str, list[dict]]:
    """(notification text, blocks) of the posted report; the chart follows as a file."""
    blocks = [
        HeaderBlock(text=TITLES[report.period]),
        *report_blocks(report),
        _context(f"{title(report)}. The chart follows."),
    ]
    story = " ".join(narrative(report))
    return f"{TITLES[report.period]}. {story}", [b.to_dict() for b in blocks]


def home_report_blocks(report: Report, chart_url: str | None, chart_title: str) -> list[Block]:
    """The leaders' App Home section (at most 8 blocks, beside the case lists): the
    narrative, the figures (one section), stage times, top lists and payment line, the
    latest chart."""
    cur = report.currency
    lines = [f"*All churn risks*: {figure_line(report.overall, cur, before_of(report))}"]
    lines += [f"*{label}*: {line}" for label, line in trust_lines(report)]
    lines += [
        f"*{kind_label(k)}*: {figure_line(f, cur, before_of(report, k))}"
        for k, f in report.kinds[:MAX_KINDS]
    ]
    stages = [f"*{label}*: {line}" for label, line in stage_lines(report)]
    extra = [f"*Payment track*: {payment_line(report)}"]
    causes = top_line(report, "root_causes")
    if causes is not None:
        extra.insert(0, f"*Top root causes*: {causes}")
    blocks: list[Block] = [
        HeaderBlock(text="Revenue at risk"),
        _section(" ".join(narrative(report))),
        _section("\n".join(lines)),
        _section("\n".join(extra)),
    ]
    if stages:
        blocks.insert(3, _section(fit_lines(stages)))
    if chart_url:
        blocks.append(
            ImageBlock(
                slack_file={"url": chart_url},
                alt_text="ARR at risk by kind, saveable and high risk, with ARR saved and churned",
                title=chart_title[:2000],
            )
        )
    blocks.append(_context(f"{title(report)}; refreshed when a case changes."))
    return blocks
