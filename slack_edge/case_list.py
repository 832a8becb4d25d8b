"""`/churn cases`: an ephemeral list with links to the case threads."""

from __future__ import annotations

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.cases.models import CaseItem, CaseListing
from bot.common.vocab import CaseScope
from slack_edge.case_messages import esc, kind_label, money, time_token, who
from slack_edge.labels import STATUS_LABELS

SCOPE_TITLES = {
    CaseScope.MINE: "Your open cases",
    CaseScope.OPEN: "Open cases",
    CaseScope.ALL: "All cases",
}
LIMIT = 20


def case_line(item: CaseItem) -> str:
    case, account = item.case, item.account
    title = f"#{case.id} {esc(account.name)}"
    link = f"<{item.link}|{title}>" if item.link else title
    return (
        f"*{link}* · {kind_label(case.kind)} · {money(case.arr_at_risk, account.currency)} · "
        f"{who(case.owner)} · {STATUS_LABELS.get(case.status, case.status)} · "
        f"opened {time_token(case.created_at)}"
    )


def case_list_blocks(listing: CaseListing, scope: str) -> tuple[str, list[dict]]:
    """The `/churn cases` answer for `scope` (mine, open, all): text and blocks."""
    title = SCOPE_TITLES[scope]
    if not listing.items:
        text = f"{title}: none."
        return text, [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()]
    blocks = [SectionBlock(text=MarkdownTextObject(text=f"*{title}*"))]
    blocks += [SectionBlock(text=MarkdownTextObject(text=case_line(i))) for i in listing.items]
    shown = f"showing {len(listing.items)} of {listing.total}, newest first"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=shown)]))
    return f"{title} ({shown})", [b.to_dict() for b in blocks]
