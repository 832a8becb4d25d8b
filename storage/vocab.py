"""Savedesk's vocabulary: the strings stored in the database, as enums with their human labels.

A leaf module (it imports nothing from the project) so that `storage/` (models, migrations)
and `bot/` use the very same values without `storage/` importing `bot/`. Each enum is a
`StrEnum`: a member equals its database string (`CaseStatus.NEW == "new"`), so rows written
before these enums existed read back unchanged and no data migration is needed. Labels are the
words people read in Slack; `label(member)` looks one up.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class CaseStatus(StrEnum):
    """Where a case stands; `OPEN` members still need someone, the rest are closed."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    WORKING = "working"
    SAVED = "saved"
    CHURNED = "churned"
    MOVED_ON = "moved_on"


OPEN_STATUSES: tuple[CaseStatus, ...] = (
    CaseStatus.NEW,
    CaseStatus.ACKNOWLEDGED,
    CaseStatus.WORKING,
)
CLOSED_STATUSES: tuple[CaseStatus, ...] = (
    CaseStatus.SAVED,
    CaseStatus.CHURNED,
    CaseStatus.MOVED_ON,
)

STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        CaseStatus.NEW: ":new: New",
        CaseStatus.ACKNOWLEDGED: ":eyes: Acknowledged",
        CaseStatus.WORKING: ":hammer_and_wrench: Working",
        CaseStatus.SAVED: ":white_check_mark: Saved",
        CaseStatus.CHURNED: ":x: Churned",
        CaseStatus.MOVED_ON: ":arrow_right: Moved on",
    }
)


class Track(StrEnum):
    """A customer has at most one open case per track (contract: one case per account and track)."""

    CHURN = "churn"
    PAYMENT = "payment"


class Kind(StrEnum):
    """Every kind of churn signal; `payment_failed` is the payment track, the rest are churn."""

    CANCELLATION = "cancellation"
    NON_RENEWAL = "non_renewal"
    DOWNGRADE = "downgrade"
    CONTACT_LEFT = "contact_left"
    USAGE_DROP = "usage_drop"
    PAYMENT_FAILED = "payment_failed"
    BUDGET_CUT = "budget_cut"
    COMPETITOR = "competitor"
    NEGATIVE_FEEDBACK = "negative_feedback"
    OTHER = "other"


KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        Kind.CANCELLATION: "Cancellation",
        Kind.NON_RENEWAL: "Non-renewal",
        Kind.DOWNGRADE: "Downgrade",
        Kind.CONTACT_LEFT: "Main contact left",
        Kind.USAGE_DROP: "Usage drop",
        Kind.PAYMENT_FAILED: "Payment failed",
        Kind.BUDGET_CUT: "Budget cut",
        Kind.COMPETITOR: "Competitor",
        Kind.NEGATIVE_FEEDBACK: "Negative feedback",
        Kind.OTHER: "Other risk",
    }
)


def track_of(kind: str) -> Track:
    """The track a kind belongs to: failed payments are finance's, everything else churn."""
    return Track.PAYMENT if kind == Kind.PAYMENT_FAILED else Track.CHURN


class RiskLevel(StrEnum):
    """How likely the customer is to leave, as the owner judges it."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


RISK_LABELS: Mapping[str, str] = MappingProxyType(
    {
        RiskLevel.LOW: ":large_green_circle: low",
        RiskLevel.MEDIUM: ":large_yellow_circle: medium",
        RiskLevel.HIGH: ":red_circle: high",
    }
)


class StepKind(StrEnum):
    """Kinds of durable scheduled steps (rows in `scheduled_steps`)."""

    ACK_NUDGE = "ack_nudge"
    ESCALATE = "escalate"
    REPEAT = "repeat"
    STALE = "stale"
    SNOOZE_END = "snooze_end"
    REMINDER = "reminder"
    REPORT_WEEKLY = "report_weekly"  # the weekly revenue-at-risk post (not tied to a case)
    SURVEY_NUDGE = "survey_nudge"
    SURVEY_ESCALATE = "survey_escalate"
    SURVEY_REPEAT = "survey_repeat"
    SURVEY_DIGEST = "survey_digest"
    DUNNING = "dunning"
    RENEWAL_NUDGE = "renewal_nudge"


STEP_LABELS: Mapping[str, str] = MappingProxyType(
    {
        StepKind.ACK_NUDGE: "Nudge if nobody acknowledges",
        StepKind.ESCALATE: "Escalation to the managers",
        StepKind.REPEAT: "Reminder to owner and managers",
        StepKind.STALE: "Check-in if the case stays quiet",
        StepKind.SNOOZE_END: "Snooze ends",
        StepKind.REMINDER: "Your reminder",
        StepKind.REPORT_WEEKLY: "Weekly revenue-at-risk report",
        StepKind.SURVEY_NUDGE: "Reminder to fill in the cancellation survey",
        StepKind.SURVEY_ESCALATE: "Cancellation survey: managers brought in",
        StepKind.SURVEY_REPEAT: "Cancellation survey: reminder to owner and managers",
        StepKind.SURVEY_DIGEST: "Monthly root-cause digest",
        StepKind.DUNNING: "Overdue invoice: a dunning ladder step",
        StepKind.RENEWAL_NUDGE: "Reminder: OK to send the renewal invoice?",
    }
)


class SurveyStatus(StrEnum):
    """Where the survey of one churn stands: waiting, answered, or withdrawn because the
    case was reopened before it was answered."""

    ASKED = "asked"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"


class OfferStatus(StrEnum):
    """Where a save offer stands in its approval."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    COUNTERED = "countered"


class OfferType(StrEnum):
    """What a save offer gives the customer."""

    DISCOUNT = "discount"
    FREE_MONTHS = "free_months"
    PAUSE = "pause"
    PLAN_CHANGE = "plan_change"
    EXTENDED_TRIAL = "extended_trial"
    TRAINING = "training"
    FREE_SERVICES = "free_services"
    EXEC_SPONSOR = "exec_sponsor"
    CUSTOM = "custom"


OFFER_TYPE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        OfferType.DISCOUNT: "Discount",
        OfferType.FREE_MONTHS: "Free months",
        OfferType.PAUSE: "Pause",
        OfferType.PLAN_CHANGE: "Downgrade / plan change",
        OfferType.EXTENDED_TRIAL: "Extended trial",
        OfferType.TRAINING: "Re-onboarding or training",
        OfferType.FREE_SERVICES: "Free services",
        OfferType.EXEC_SPONSOR: "Executive sponsor meeting",
        OfferType.CUSTOM: "Custom",
    }
)


class MoveOnReason(StrEnum):
    """Why a case was closed as "moved on" instead of fought for (DESIGN: not a good fit)."""

    NOT_IDEAL_CUSTOMER = "not_ideal_customer"
    OUT_OF_BUSINESS = "out_of_business"
    WRONG_FIT = "wrong_fit"
    OTHER = "other"


MOVE_ON_LABELS: Mapping[str, str] = MappingProxyType(
    {
        MoveOnReason.NOT_IDEAL_CUSTOMER: "Not our ideal customer",
        MoveOnReason.OUT_OF_BUSINESS: "Bankrupt / out of business",
        MoveOnReason.WRONG_FIT: "Wrong product fit",
        MoveOnReason.OTHER: "Other",
    }
)


class InvoiceStatus(StrEnum):
    """An invoice's state, as Stripe names it; only `open` invoices climb the dunning ladder."""

    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


class RenewalAnswer(StrEnum):
    """The answer to the pre-renewal question "OK to send the renewal invoice?"."""

    YES = "yes"
    HOLD = "hold"


# --- turnover ---
# The answers of the main-contact-turnover playbook (contract section 7); `label` is the
# option text people see in the modal and the thread.


class TurnoverAnswer(StrEnum):
    """A turnover answer: its value is stored (and checked) in `turnovers`, its `label` is
    the option text people read."""

    @property
    def label(self) -> str:
        return TURNOVER_ANSWER_LABELS[self]


class Learned(TurnoverAnswer):
    """When we learned of the departure: while the contact was still there, or afterwards."""

    BEFORE_LEFT = "before_left"
    AFTER_LEFT = "after_left"


class Coverage(TurnoverAnswer):
    """Whether someone else at the customer still knows us."""

    OTHER_CONTACT = "other_contact"
    NO_OTHER_CONTACT = "no_other_contact"


class Destination(TurnoverAnswer):
    """Where the contact went; another company is a sales lead (and a bigger risk)."""

    ANOTHER_COMPANY = "another_company"
    ANOTHER_ROLE = "another_role"
    UNKNOWN = "unknown"


class RoleFate(TurnoverAnswer):
    """What happens to the contact's role at the customer."""

    REPLACED = "replaced"
    MERGED = "merged"
    LEAVING_SPACE = "leaving_space"


class Replacement(TurnoverAnswer):
    """Who takes over the role, as far as we know."""

    UNKNOWN = "unknown"
    INTERNAL = "internal"
    EXTERNAL_NEW = "external_new"
    EXTERNAL_COMPETITOR = "external_competitor"


TURNOVER_ANSWER_LABELS: Mapping[str, str] = MappingProxyType(
    {
        Learned.BEFORE_LEFT: "Before they left",
        Learned.AFTER_LEFT: "After they left",
        Coverage.OTHER_CONTACT: "We have another contact",
        Coverage.NO_OTHER_CONTACT: "No other contact",
        Destination.ANOTHER_COMPANY: "Another company",
        Destination.ANOTHER_ROLE: "Another role at the customer",
        Destination.UNKNOWN: "Unknown",
        RoleFate.REPLACED: "Being replaced",
        RoleFate.MERGED: "Merged into another role",
        RoleFate.LEAVING_SPACE: "The customer is leaving this space",
        Replacement.UNKNOWN: "Not known yet",
        Replacement.INTERNAL: "Internal",
        Replacement.EXTERNAL_NEW: "External, new to this kind of product",
        Replacement.EXTERNAL_COMPETITOR: "External, used a competitor",
    }
)
