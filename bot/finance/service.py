"""The finance side in one object: Stripe events, the dunning ladder and the pre-renewal
check, with the step handlers they need and one pass for `tick` and the scheduler."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.common.clock import Clock
from bot.finance.dunning import DunningLadder, LadderReport
from bot.finance.listings import FinanceViews
from bot.finance.renewals import Answered, RenewalChecks
from bot.finance.stripe_cases import StripeCases
from bot.finance.stripe_service import StripeService
from bot.people.access import Access
from bot.people.team import Team
from bot.policy import Policy
from bot.runtime.steps import StepHandler
from bot.signals.service import SignalService
from storage.db import Database


@dataclass
class FinanceReport:
    """One pass: the ladder's invoices and scheduled steps, and renewal questions asked."""

    ladder: LadderReport
    renewals_asked: int = 0

    def summary(self) -> str:
        return (
            f"dunning: {self.ladder.scheduled} step(s) scheduled; "
            f"pre-renewal checks: {self.renewals_asked} asked"
        )


class Finance:
    """Built once per process by the composition root."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        team: Callable[[], Team],
        signals: SignalService,
        access: Access,
        answered: Sequence[Answered] = (),
    ) -> None:
        """`answered`: told of each pre-renewal answer (Stripe write-back, docs/stripe.md)."""
        self.db = db
        self.policy = policy
        self.clock = clock
        bridge = StripeCases(signals, signals.cases)
        self.stripe = StripeService(
            db,
            policy,
            clock,
            on_subscription=bridge.subscription,
            on_payment_failed=bridge.payment_failed,
            prepare=team,  # people resolved before a unit of work starts
        )
        self.ladder = DunningLadder(db, policy, team, signals.cases)
        presenter = signals.cases.timeline.presenter
        self.renewals = RenewalChecks(db, policy, team, access, presenter, answered)
        self.views = FinanceViews(db, policy)

    def handlers(self) -> Mapping[str, StepHandler]:
        """Step kinds the StepRunner hands to finance."""
        return {**self.ladder.handlers(), **self.renewals.handlers()}

    def run_due(self, now: datetime | None = None) -> FinanceReport:
        """Schedule what is due now (ladder steps) and ask the renewal questions that
        entered their window; the StepRunner then runs the steps."""
        now = now or self.clock.now()
        ladder = self.ladder.schedule_due(now)
        self.ladder.ask_people(now)  # outside any unit of work: it may call Slack
        return FinanceReport(ladder=ladder, renewals_asked=self.renewals.run_due(now))
