"""The words (with Slack emoji) people read for a case's status and risk.

Presentation is Slack's, so it lives here and not beside the stored values in
`storage/vocab.py` (docs/ARCHITECTURE.md, *Where a new domain goes*). Both tables are keyed
by member, so by the stored string too; an unknown string reads as itself (`*_label`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.vocab import CaseStatus, RiskLevel

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

RISK_LABELS: Mapping[str, str] = MappingProxyType(
    {
        RiskLevel.LOW: ":large_green_circle: low",
        RiskLevel.MEDIUM: ":large_yellow_circle: medium",
        RiskLevel.HIGH: ":red_circle: high",
    }
)


def status_label(status: str) -> str:
    """A case status as people read it (the stored string when it is none we know)."""
    return STATUS_LABELS.get(status, status)


def risk_label(risk: str) -> str:
    """A risk level as people read it (the stored string when it is none we know)."""
    return RISK_LABELS.get(risk, risk)
