"""The composition root for plain-Python services: one object handed to every edge."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_sdk import WebClient

from bot.cases import CaseService
from bot.clock import Clock, SystemClock
from bot.followups import Ladder
from bot.offers import NUDGE as OFFER_NUDGE
from bot.offers import OfferService
from bot.outbox import Deliverer, DeliveryReport
from bot.people import Directory
from bot.policy import Policy
from bot.reports.service import WEEKLY_STEP, ReportService
from bot.settings import Settings
from bot.slack_client import delivery_client, interactive_client
from bot.steps import StepReport, StepRunner
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    """What one pass of scheduled work did."""

    steps: StepReport = field(default_factory=StepReport)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    def summary(self) -> str:
        d = self.delivery
        line = (
            f"{self.steps.summary()}; delivered {d.sent}, retrying {d.retrying}, failed {d.failed}"
        )
        return line + (f" (stopped: {d.stopped})" if d.stopped else "")


@dataclass
class Services:
    settings: Settings
    policy: Policy
    db: Database
    clock: Clock
    api: WebClient
    deliverer: Deliverer
    directory: Directory
    cases: CaseService
    offers: OfferService
    steps: StepRunner
    reports: ReportService

    def tick(self) -> TickReport:
        """Run everything that is due now, once: the same code the scheduler's jobs run."""
        steps = self.run_steps()
        return TickReport(steps=steps, delivery=self.deliver())

    def run_steps(self) -> StepReport:
        self.cases.team()  # resolve people before the step transactions start
        self.reports.keep_weekly_scheduled()
        return self.steps.run_due()

    def deliver(self) -> DeliveryReport:
        return self.deliverer.run_once()


def build_services(settings: Settings, policy: Policy, clock: Clock | None = None) -> Services:
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    api = interactive_client(settings)
    directory = Directory(db, api, clock)
    cases = CaseService(db, policy, clock, directory)
    offers = OfferService(cases)
    ladder = Ladder(policy, lambda: cases.team(stale_ok=True))
    reports = ReportService(db, policy, clock)
    handlers = {**ladder.handlers(), OFFER_NUDGE: offers.nudge, WEEKLY_STEP: reports.weekly_step}
    return Services(
        settings=settings,
        policy=policy,
        db=db,
        clock=clock,
        api=api,
        deliverer=Deliverer(db, delivery_client(settings), clock, files=reports.chart_file),
        directory=directory,
        cases=cases,
        offers=offers,
        steps=StepRunner(db, clock, handlers),
        reports=reports,
    )
