"""Every service of one process in one object, handed to every edge (handlers, the worker,
the CLI). The composition root, `wiring.build_services`, builds it (docs/ARCHITECTURE.md,
*Composition root*); nothing here builds a service."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.cases.service import CaseService
from bot.checkins.service import CheckinService
from bot.common.clock import Clock, OffsetClock, SystemClock
from bot.finance.service import Finance
from bot.hours.service import HoursService
from bot.imports.csvfile import ImportReport
from bot.imports.hubspot import HubSpotImporter
from bot.offers.service import OfferService
from bot.outbound.delivery import WebhookSender
from bot.outbox import Deliverer, DeliveryReport
from bot.people.directory import Directory
from bot.people.team import TeamService
from bot.policy import Policy
from bot.ports import SlackWebApi
from bot.reports.home import HomeRefresher
from bot.reports.service import ReportService
from bot.runtime.health import Health
from bot.runtime.installs import Installs
from bot.runtime.jobs import JobReport, Jobs
from bot.runtime.settings import Settings
from bot.runtime.steps import StepReport, StepRunner
from bot.signals.service import SignalService
from bot.signals.workflow import WorkflowStep
from bot.survey.service import SurveyService
from bot.survey.steps import SurveySteps
from bot.turnover.service import TurnoverService
from bot.writeback.hubspot_api import HubSpotCRM
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    """What one pass of scheduled work did."""

    jobs: JobReport = field(default_factory=JobReport)
    steps: StepReport = field(default_factory=StepReport)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    webhooks: DeliveryReport = field(default_factory=DeliveryReport)

    def summary(self) -> str:
        d, w = self.delivery, self.webhooks
        line = (
            f"{self.jobs.summary()}; {self.steps.summary()}; "
            f"delivered {d.sent}, retrying {d.retrying}, failed {d.failed}"
        )
        line += f" (stopped: {d.stopped})" if d.stopped else ""
        if w.sent or w.retrying or w.failed:
            line += f"; webhooks delivered {w.sent}, retrying {w.retrying}, failed {w.failed}"
        return line


@dataclass
class Services:
    settings: Settings
    policy: Policy
    db: Database
    clock: Clock
    api: SlackWebApi
    """The interactive Slack Web API client; only handlers/ and slack_edge use it."""
    deliverer: Deliverer
    directory: Directory
    team: TeamService
    cases: CaseService
    offers: OfferService
    signals: SignalService
    steps: StepRunner
    reports: ReportService
    homes: HomeRefresher
    survey: SurveyService
    survey_steps: SurveySteps
    finance: Finance
    turnover: TurnoverService
    checkins: CheckinService
    """Did the save last? Check-ins after every save (bot/checkins)."""
    hours: HoursService
    """Working hours, time off and cover (bot/hours)."""
    jobs: Jobs
    """Work accepted with an acknowledgement, done by workers (bot.runtime.jobs)."""
    webhooks: WebhookSender
    """Sends outbound webhook events from their durable rows (bot.outbound.delivery)."""
    workflow: WorkflowStep
    """The Workflow Builder step "Open churn case" (bot/signals/workflow.py)."""
    hubspot: HubSpotCRM | None = None
    """HubSpot, when `HUBSPOT_ACCESS_TOKEN` is set (docs/hubspot.md)."""
    installs: Installs | None = None
    """OAuth mode's installation (bot/runtime/installs.py); None with one SLACK_BOT_TOKEN."""
    health: Health = field(default_factory=Health)
    """This process's background loops and what each last said (`/healthz`)."""

    def tick(self) -> TickReport:
        """Run everything that is due now, once: the same code the workers' loops run."""
        jobs = self.run_jobs()
        steps = self.run_steps()
        delivery = self.deliver()
        return TickReport(jobs, steps, delivery, webhooks=self.webhooks.run_once())

    def run_jobs(self) -> JobReport:
        """Every due job, until none is left."""
        total = JobReport()
        while True:
            report = self.jobs.run_once()
            total.done += report.done
            total.retrying += report.retrying
            total.failed += report.failed
            if report.done + report.retrying + report.failed == 0:
                return total

    def run_steps(self) -> StepReport:
        self.team.current()  # resolve people before the step transactions start
        self.cases.hand_over_gone()  # before the nudges: they go to the new owners
        with self.db.session() as session:
            self.survey_steps.ensure_digest(session, self.clock.now())
        self.finance.run_due()
        self.reports.keep_weekly_scheduled()
        report = self.steps.run_due()
        self.homes.refresh()
        return report

    def import_hubspot(self) -> ImportReport | None:
        """Companies → accounts (`import hubspot`, and hourly on the worker); None when
        HubSpot is off. Raises the client's error when HubSpot cannot be read."""
        if self.hubspot is None:
            return None
        return HubSpotImporter(self.db, self.directory, self.clock, self.policy.currency).run_crm(
            self.hubspot
        )

    def deliver(self) -> DeliveryReport:
        return self.deliverer.run_once()


def settings_clock(settings: Settings) -> Clock:
    """The real clock, or the test clock SAVEDESK_TEST_CLOCK_FILE names (docs/configuration.md,
    *The test clock*): real time plus the seconds written in that file, read again when it
    changes."""
    if settings.test_clock_file is None:
        return SystemClock()
    log.warning("TEST CLOCK: now is real time + the seconds in %s", settings.test_clock_file)
    return OffsetClock(file=settings.test_clock_file)
