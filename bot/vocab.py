"""The vocabulary `bot/` speaks: the enums and labels of `storage.vocab`, re-exported.

They live in `storage/` because the models and migrations store the same strings and
`storage/` imports nothing from `bot/`; domain code imports them from here.
"""

from storage.vocab import (
    CLOSED_STATUSES,
    KIND_LABELS,
    MOVE_ON_LABELS,
    OFFER_TYPE_LABELS,
    OPEN_STATUSES,
    RISK_LABELS,
    STATUS_LABELS,
    STEP_LABELS,
    CaseStatus,
    Kind,
    MoveOnReason,
    OfferStatus,
    OfferType,
    RiskLevel,
    StepKind,
    SurveyStatus,
    Track,
    track_of,
)

__all__ = [
    "CLOSED_STATUSES",
    "KIND_LABELS",
    "MOVE_ON_LABELS",
    "OFFER_TYPE_LABELS",
    "OPEN_STATUSES",
    "RISK_LABELS",
    "STATUS_LABELS",
    "STEP_LABELS",
    "CaseStatus",
    "Kind",
    "MoveOnReason",
    "OfferStatus",
    "OfferType",
    "RiskLevel",
    "StepKind",
    "SurveyStatus",
    "Track",
    "track_of",
]
