"""The main-contact-turnover playbook's questions and their answers (docs/turnover.md).

Each answer is an enum (storage/vocab.py) whose value is what the database keeps (and checks:
storage/models.py) and whose `label` is what people read in the modal and the thread. `Answers`
is one filled-in questionnaire; `Answers.problems()` names each field that is missing, keyed
by field name so the Slack side can show them inline (`response_action: errors`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from bot.common.vocab import Coverage, Destination, Learned, Replacement, RoleFate, TurnoverAnswer

ANSWER_ENUMS: dict[str, type[TurnoverAnswer]] = {
    "learned_timing": Learned,
    "coverage": Coverage,
    "destination": Destination,
    "role_fate": RoleFate,
    "replacement": Replacement,
}
"""Each enum-valued answer by its field (and database column) name."""

QUESTIONS: dict[str, str] = {
    "contact_name": "Contact's name",
    "learned_timing": "When we learned",
    "coverage": "Coverage",
    "other_contact_name": "Other contact's name",
    "destination": "Where they went",
    "new_company": "Their new company",
    "role_fate": "What happens to the role",
    "replacement": "Replacement",
    "competitor": "Which competitor",
    "note": "Note",
}
"""The question behind each field, as the modal and the thread word it."""

NAME_MAX = 200
"""Longest name we keep (contact, other contact, company, competitor): the column width."""


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text or None


@dataclass(frozen=True)
class Answers:
    """One main-contact turnover as the team described it.

    The free-text names only mean something next to the choice that asks for them (the new
    company with "another company", the competitor with "used a competitor", the other
    contact with "we have another contact"); `normalized()` drops them otherwise.
    """

    contact_name: str
    learned_timing: Learned
    coverage: Coverage
    destination: Destination
    role_fate: RoleFate
    replacement: Replacement
    other_contact_name: str | None = None
    new_company: str | None = None
    competitor: str | None = None
    note: str | None = None

    def normalized(self) -> Answers:
        """Whitespace collapsed, and names that no longer apply removed."""
        return replace(
            self,
            contact_name=_clean(self.contact_name) or "",
            other_contact_name=_clean(self.other_contact_name)
            if self.coverage is Coverage.OTHER_CONTACT
            else None,
            new_company=_clean(self.new_company)
            if self.destination is Destination.ANOTHER_COMPANY
            else None,
            competitor=_clean(self.competitor)
            if self.replacement is Replacement.EXTERNAL_COMPETITOR
            else None,
            note=(self.note or "").strip() or None,
        )

    def problems(self) -> dict[str, str]:
        """What must be fixed before saving, by field name; empty when the answers are usable."""
        found: dict[str, str] = {}
        clean = self.normalized()
        if not clean.contact_name:
            found["contact_name"] = "Enter the name of the contact who left."
        if clean.coverage is Coverage.OTHER_CONTACT and not clean.other_contact_name:
            found["other_contact_name"] = "Name the other contact (or pick “No other contact”)."
        for name in ("contact_name", "other_contact_name", "new_company", "competitor"):
            value = getattr(clean, name)
            if value and len(value) > NAME_MAX and name not in found:
                found[name] = f"Keep it under {NAME_MAX} characters."
        return found

    def as_columns(self) -> dict[str, str | None]:
        """The normalized answers as column values for the `turnovers` table."""
        clean = self.normalized()
        return {
            "contact_name": clean.contact_name,
            "learned_timing": clean.learned_timing.value,
            "coverage": clean.coverage.value,
            "other_contact_name": clean.other_contact_name,
            "destination": clean.destination.value,
            "new_company": clean.new_company,
            "role_fate": clean.role_fate.value,
            "replacement": clean.replacement.value,
            "competitor": clean.competitor,
            "note": clean.note,
        }

    @classmethod
    def from_columns(cls, row: AnswerColumns) -> Answers:
        """Answers back from a stored `turnovers` row.

        Raises ValueError if a stored value is not one of its enum's values.
        """
        return cls(
            contact_name=row.contact_name,
            learned_timing=Learned(row.learned_timing),
            coverage=Coverage(row.coverage),
            destination=Destination(row.destination),
            role_fate=RoleFate(row.role_fate),
            replacement=Replacement(row.replacement),
            other_contact_name=row.other_contact_name,
            new_company=row.new_company,
            competitor=row.competitor,
            note=row.note,
        )


class AnswerColumns(Protocol):
    """The answer columns of a `turnovers` row (storage.models.Turnover has them)."""

    contact_name: str
    learned_timing: str
    coverage: str
    destination: str
    role_fate: str
    replacement: str
    other_contact_name: str | None
    new_company: str | None
    competitor: str | None
    note: str | None
