"""The words (with Slack emoji) people read for a case's status and risk.

Presentation is Slack's, so it lives here and not beside the stored values in
`storage/vocab.py` (docs/ARCHITECTURE.md, *Where a new domain goes*). Both tables are keyed
by member, so by the stored string too; look one up with `.get(value, value)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.common.vocab import CaseStatus, RiskLevel

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
