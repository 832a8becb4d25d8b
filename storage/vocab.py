"""Savedesk's vocabulary: the strings stored in the database, as enums (some with plain labels).

A leaf module (it imports nothing from the project) so that `storage/` (models, migrations)
and `bot/` use the very same values without `storage/` importing `bot/`. Each enum is a
`StrEnum`: a member equals its database string (`CaseStatus.NEW == "new"`), so rows written
before these enums existed read back unchanged and no data migration is needed. A `Labelled`
member carries plain words beside its value (`member.label`); the `*_LABELS` tables look one up
by the stored string. Emoji and other Slack dressing live in `slack_edge/labels.py`. Closed sets
that are never stored live in their domain (`bot/<domain>/`), not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Self


class Labelled(StrEnum):
    """A `StrEnum` whose members are written `NAME = "stored value", "label"`, so a label sits
    beside its value once; the value alone is what the member equals and stores."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


def labels_of(*enums: type[Labelled]) -> Mapping[str, str]:
    """The members' labels as a read-only table keyed by member (so by stored string too)."""
    return MappingProxyType({member: member.label for enum in enums for member in enum})


class CaseStatus(StrEnum):
    """Where a case stands; `OPEN` members still need someone, the rest are closed. The words
    (with emoji) people read are Slack's: `slack_edge/labels.py`."""

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


class Track(StrEnum):
    """A customer has at most one open case per track (docs/cases.md)."""

    CHURN = "churn"
    PAYMENT = "payment"


class CaseScope(StrEnum):
    """Which cases `/churn cases` lists: the caller's open ones, all open ones, or all."""

    MINE = "mine"
    OPEN = "open"
    ALL = "all"


class Kind(Labelled):
    """Every kind of churn signal; `payment_failed` is the payment track, the rest are churn."""

    CANCELLATION = "cancellation", "Cancellation"
    NON_RENEWAL = "non_renewal", "Non-renewal"
    DOWNGRADE = "downgrade", "Downgrade"
    CONTACT_LEFT = "contact_left", "Main contact left"
    USAGE_DROP = "usage_drop", "Usage drop"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    BUDGET_CUT = "budget_cut", "Budget cut"
    COMPETITOR = "competitor", "Competitor"
    NEGATIVE_FEEDBACK = "negative_feedback", "Negative feedback"
    OTHER = "other", "Other risk"


KIND_LABELS = labels_of(Kind)


def track_of(kind: str) -> Track:
    """The track a kind belongs to: failed payments are finance's, everything else churn."""
    return Track.PAYMENT if kind == Kind.PAYMENT_FAILED else Track.CHURN


class RiskLevel(StrEnum):
    """How likely the customer is to leave, as the owner judges it (labels: slack_edge)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class CaseEventType(StrEnum):
    """What a case timeline event records (`case_events.type`), grouped by the domain that
    writes it; outbound webhooks and the Stripe write-back listen for some of them."""

    OPENED = "opened"
    SIGNAL = "signal"
    ROUTING = "routing"
    STUB_ACCOUNT = "stub_account"
    STATUS = "status"
    RISK = "risk"
    NOTE = "note"
    REASSIGNED = "reassigned"
    SNOOZE = "snooze"
    REMINDER = "reminder"
    CSM_REMOVED = "csm_removed"
    CSM_GONE = "csm_gone"
    MOVE_ON_REQUESTED = "move_on_requested"
    MOVE_ON_DECLINED = "move_on_declined"
    FOLLOWUP = "followup"
    OWNER_AWAY = "owner_away"
    HANDED_BACK = "handed_back"
    OFFER_PROPOSED = "offer_proposed"
    OFFER_APPLIED = "offer_applied"  # approved by policy, without an approver
    OFFER_APPROVED = "offer_approved"
    OFFER_REJECTED = "offer_rejected"
    OFFER_COUNTERED = "offer_countered"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_DECLINED = "offer_declined"
    OFFER_NUDGE = "offer_nudge"
    SURVEY_ASKED = "survey_asked"
    SURVEY_REMINDER = "survey_reminder"
    SURVEY_ANSWERED = "survey_answered"
    SURVEY_EDITED = "survey_edited"
    SURVEY_WITHDRAWN = "survey_withdrawn"
    CHECKIN_ASKED = "checkin_asked"
    CHECKIN_ANSWERED = "checkin_answered"
    TURNOVER = "turnover"
    PLAN_STEP = "plan_step"
    TURNOVER_LEAD = "turnover_lead"
    TIME_AT_RISK = "time_at_risk"
    DUNNING = "dunning"
    STRIPE = "stripe"
    STRIPE_WRITEBACK = "stripe_writeback"
    CRM_WRITEBACK = "crm_writeback"
    # Slack's refusals (bot/outbox/deleted.py)
    THREAD_DELETED = "thread_deleted"  # the thread's root was deleted in Slack
    DM_UNREACHABLE = "dm_unreachable"  # a DM about the case Slack refused for that person


class StepKind(Labelled):
    """Kinds of durable scheduled steps (rows in `scheduled_steps`)."""

    ACK_NUDGE = "ack_nudge", "Nudge if nobody acknowledges"
    ESCALATE = "escalate", "Escalation to the managers"
    REPEAT = "repeat", "Reminder to owner and managers"
    STALE = "stale", "Check-in if the case stays quiet"
    SNOOZE_END = "snooze_end", "Snooze ends"
    REMINDER = "reminder", "Your reminder"
    # the weekly revenue-at-risk post (not tied to a case)
    REPORT_WEEKLY = "report_weekly", "Weekly revenue-at-risk report"
    SURVEY_NUDGE = "survey_nudge", "Reminder to fill in the cancellation survey"
    SURVEY_ESCALATE = "survey_escalate", "Cancellation survey: managers brought in"
    SURVEY_REPEAT = "survey_repeat", "Cancellation survey: reminder to owner and managers"
    SURVEY_DIGEST = "survey_digest", "Monthly root-cause digest"
    DUNNING = "dunning", "Overdue invoice: a dunning ladder step"
    RENEWAL_NUDGE = "renewal_nudge", "Reminder: OK to send the renewal invoice?"
    SAVE_CHECKIN = "save_checkin", "Check-in: is the saved account still a customer?"
    OFFER_NUDGE = "offer_nudge", "Offer nudge"  # what the dashboard always said


STEP_LABELS = labels_of(StepKind)


class CheckinState(StrEnum):
    """A save check-in: pending (its step not yet run) → asked → answered; withdrawn when the
    case was reopened (`save_checkins.state`)."""

    PENDING = "pending"
    ASKED = "asked"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"


class CheckinAnswer(StrEnum):
    """The answers to a save check-in (docs/reports.md, *Did the save last?*)."""

    CUSTOMER = "customer"
    CHURNED = "churned"
    DOWNGRADED = "downgraded"


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


class OfferOutcome(StrEnum):
    """The customer's answer to an approved offer (`offers.outcome`; None until answered)."""

    ACCEPTED = "accepted"
    DECLINED = "declined"


class OfferType(Labelled):
    """What a save offer gives the customer."""

    DISCOUNT = "discount", "Discount"
    FREE_MONTHS = "free_months", "Free months"
    PAUSE = "pause", "Pause"
    PLAN_CHANGE = "plan_change", "Downgrade / plan change"
    EXTENDED_TRIAL = "extended_trial", "Extended trial"
    TRAINING = "training", "Re-onboarding or training"
    FREE_SERVICES = "free_services", "Free services"
    EXEC_SPONSOR = "exec_sponsor", "Executive sponsor meeting"
    CREDIT = "credit", "Account credit"
    CUSTOM = "custom", "Custom"


OFFER_TYPE_LABELS = labels_of(OfferType)


class MoveOnReason(Labelled):
    """Why a case was closed as "moved on" instead of fought for (docs/cases.md, *Move on*)."""

    NOT_IDEAL_CUSTOMER = "not_ideal_customer", "Not our ideal customer"
    OUT_OF_BUSINESS = "out_of_business", "Bankrupt / out of business"
    WRONG_FIT = "wrong_fit", "Wrong product fit"
    OTHER = "other", "Other"


MOVE_ON_LABELS = labels_of(MoveOnReason)


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
# The answers of the main-contact-turnover playbook (docs/turnover.md); `label` is the
# option text people see in the modal and the thread.


class TurnoverAnswer(Labelled):
    """A turnover answer: its value is stored (and checked) in `turnovers`, its `label` is
    the option text people read."""


class Learned(TurnoverAnswer):
    """When we learned of the departure: while the contact was still there, or afterwards."""

    BEFORE_LEFT = "before_left", "Before they left"
    AFTER_LEFT = "after_left", "After they left"


class Coverage(TurnoverAnswer):
    """Whether someone else at the customer still knows us."""

    OTHER_CONTACT = "other_contact", "We have another contact"
    NO_OTHER_CONTACT = "no_other_contact", "No other contact"


class Destination(TurnoverAnswer):
    """Where the contact went; another company is a sales lead (and a bigger risk)."""

    ANOTHER_COMPANY = "another_company", "Another company"
    ANOTHER_ROLE = "another_role", "Another role at the customer"
    # Written "Unknown" in the one shared table this replaces, where Replacement.UNKNOWN's
    # equal key overwrote it: people have always read "Not known yet", so it stays that.
    UNKNOWN = "unknown", "Not known yet"


class RoleFate(TurnoverAnswer):
    """What happens to the contact's role at the customer."""

    REPLACED = "replaced", "Being replaced"
    MERGED = "merged", "Merged into another role"
    LEAVING_SPACE = "leaving_space", "The customer is leaving this space"


class Replacement(TurnoverAnswer):
    """Who takes over the role, as far as we know."""

    UNKNOWN = "unknown", "Not known yet"
    INTERNAL = "internal", "Internal"
    EXTERNAL_NEW = "external_new", "External, new to this kind of product"
    EXTERNAL_COMPETITOR = "external_competitor", "External, used a competitor"


TURNOVER_ANSWER_LABELS = labels_of(Learned, Coverage, Destination, RoleFate, Replacement)


# --- the machinery's rows: lifecycles of outbox messages, jobs, steps, deliveries ---


class OutboxState(StrEnum):
    """An outbox row: pending → sending (claimed) → sent, failed or superseded."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"


class OutboxRelation(StrEnum):
    """How an outbox row depends on its parent: in its thread, linking to it, or after it."""

    THREAD = "thread"
    LINK = "link"
    AFTER = "after"


class JobState(StrEnum):
    """A durable job: pending → running (leased) → done or failed."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class StepState(StrEnum):
    """A scheduled step: pending → claimed → done or failed; cancelled when no longer due."""

    PENDING = "pending"
    CLAIMED = "claimed"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class DeliveryState(StrEnum):
    """An outbound webhook delivery: pending → sending (leased) → delivered or failed."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class TimeOffState(StrEnum):
    """A stretch of time off: planned → away → back, or cancelled (docs/hours.md)."""

    PLANNED = "planned"
    AWAY = "away"
    BACK = "back"
    CANCELLED = "cancelled"


class TimeOffSource(StrEnum):
    """Where time off was set: the command, App Home, or a Slack status counted as away."""

    COMMAND = "command"
    HOME = "home"
    STATUS = "status"
