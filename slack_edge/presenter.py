"""`bot.ports.Presenter` in Block Kit: each method hands a service's message view to the
builder that renders it (docs/ARCHITECTURE.md, *Packages and arrows*)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.cases.models import AccountView, CaseView
from bot.offers.concessions import Concession
from bot.offers.models import OfferView
from bot.ports import Rendered
from bot.reports.models import Report
from bot.signals.models import SlackMessage
from bot.survey.models import SurveySummary
from bot.turnover.models import PlanView
from slack_edge import (
    case_messages,
    finance_messages,
    offer_messages,
    report_messages,
    signal_codecs,
    survey_messages,
    turnover_messages,
)


class SlackPresenter:
    """The presenter `wiring.build_services` injects into the services."""

    def case_root(self, case: CaseView, account: AccountView, extra: list[str] | None) -> Rendered:
        return case_messages.case_root(case, account, extra)

    def move_on_request(
        self, case: CaseView, actor: str, reason: str, managers: tuple[str, ...]
    ) -> Rendered:
        return case_messages.move_on_request_blocks(case, actor, reason, managers)

    def nudge(self, case: CaseView, text: str, with_link: bool) -> Rendered:
        return case_messages.nudge_blocks(case, text, with_link)

    def nudge_retired(self, text: str, note: str) -> Rendered:
        return case_messages.nudge_retired_blocks(text, note)

    def offer_request(
        self, offer: OfferView, currency: str, approvers: list[str], ledger: Sequence[Concession]
    ) -> Rendered:
        return offer_messages.request_blocks(offer, currency, approvers, ledger)

    def open_prompt(self, message: SlackMessage, phrase: str, account_id: int | None) -> Rendered:
        return signal_codecs.prompt_message(message, phrase, account_id)

    def renewal(
        self, text: str, check_id: int, *, answered: bool, held: bool = False
    ) -> list[dict[str, Any]]:
        return finance_messages.renewal_blocks(text, check_id, answered=answered, held=held)

    def survey_ask(self, text: str, answer_id: int) -> list[dict[str, Any]]:
        return survey_messages.ask_blocks(text, answer_id)

    def survey_answered(self, text: str, answer_id: int, may_edit: bool) -> list[dict[str, Any]]:
        return survey_messages.answered_blocks(text, answer_id, may_edit)

    def survey_answers(self, summary: SurveySummary, header: str) -> list[dict[str, Any]]:
        return survey_messages.answers_blocks(summary, header)

    def survey_digest(self, sections: list[str]) -> list[dict[str, Any]]:
        return survey_messages.digest_blocks(sections)

    def turnover_checklist(self, plan: PlanView) -> Rendered:
        return turnover_messages.checklist(plan)

    def turnover_fill_in(self, case_id: int, owner: str | None) -> Rendered:
        return turnover_messages.fill_in_prompt(case_id, owner)

    def report(self, report: Report) -> Rendered:
        return report_messages.report_post(report)
