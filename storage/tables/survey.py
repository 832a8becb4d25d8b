"""Tables of the cancellation survey (docs/survey.md)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base

SURVEY_ASKED_SQL = "status = 'asked'"


class SurveyAnswer(Base):
    """The cancellation survey of one churn of a case (docs/survey.md).

    `churn_number` counts the case's churns (1, 2, … after a Reopen), so each churn gets
    its own row; at most one row per case is `asked` (open) at a time. `root_cause` is the
    policy reason's key, not its label, so labels can be renamed; `competitor_key` is the
    competitor normalised for counting ("Rivalsoft" and "rivalsoft " are one). `arr_lost`
    is the case's ARR at risk when it churned, in the account's currency.
    """

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    churn_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="asked")
    involuntary: Mapped[bool] = mapped_column(Boolean, default=False)
    asked_to: Mapped[str | None] = mapped_column(String(32))
    asked_at: Mapped[datetime]
    arr_lost: Mapped[Decimal | None]
    stated_reason: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(String(64))
    controllable: Mapped[bool | None] = mapped_column(Boolean)
    competitor: Mapped[str | None] = mapped_column(String(200))
    competitor_key: Mapped[str | None] = mapped_column(String(200))
    tried: Mapped[str | None] = mapped_column(Text)
    would_come_back: Mapped[str | None] = mapped_column(String(8))
    notes: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None]
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("case_id", "churn_number"),
        Index(
            "uq_survey_answers_one_open",
            "case_id",
            unique=True,
            sqlite_where=text(SURVEY_ASKED_SQL),
            postgresql_where=text(SURVEY_ASKED_SQL),
        ),
        Index("ix_survey_answers_answered", "status", "answered_at"),
        Index("ix_survey_answers_competitor_key", "competitor_key"),
    )


class SurveyEdit(Base):
    """One amendment of a saved survey: who, when, and each changed field as
    `{field: [old, new]}` (the case timeline gets a readable line as well)."""

    __tablename__ = "survey_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("survey_answers.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
