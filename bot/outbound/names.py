"""The outbound events' names (a leaf: the policy file's parser checks `events` against
them without loading the database layer)."""

from __future__ import annotations

from bot.common.vocab import CaseStatus

CASE_OPENED = "case.opened"
CASE_OWNER_CHANGED = "case.owner_changed"
CASE_STATUS_CHANGED = "case.status_changed"
OFFER_DECIDED = "offer.decided"
SURVEY_ANSWERED = "survey.answered"
PLAN_COMPLETED = "turnover.plan_completed"
LADDER_STEP = "invoice.ladder_step"

EVENT_TYPES: tuple[str, ...] = (
    CASE_OPENED,
    CASE_OWNER_CHANGED,
    CASE_STATUS_CHANGED,
    OFFER_DECIDED,
    SURVEY_ANSWERED,
    PLAN_COMPLETED,
    LADDER_STEP,
)

STATUS_CHANGES = {
    CaseStatus.SAVED: "saved",
    CaseStatus.CHURNED: "churned",
    CaseStatus.MOVED_ON: "moved_on",
}
"""`case.status_changed` is published for these new statuses, and as "reopened" when a
closed case returns to working; acknowledging and working on an open case publish nothing."""
CLOSED = frozenset(STATUS_CHANGES)
