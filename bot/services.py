"""The composition root for plain-Python services: one object handed to every edge."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot.access import revenue_viewers
from bot.cases.service import CaseService
from bot.checkins.service import CheckinService
from bot.clock import Clock, OffsetClock, SystemClock
from bot.finance.service import Finance
from bot.followups.service import Ladder
from bot.hours.service import HoursService
from bot.imports.csvfile import ImportReport
from bot.imports.hubspot import HubSpotImporter
from bot.installs import Installs
from bot.offers.service import NUDGE as OFFER_NUDGE
from bot.offers.service import OfferService
from bot.outbound.delivery import WebhookSender
from bot.outbound.service import CaseEvents
from bot.outbox import Deliverer, DeliveryReport
from bot.people import Directory
from bot.policy import Policy
from bot.ports import PeopleLookup, Presenter, SlackTransport
from bot.reports.home import HomeRefresher
from bot.reports.jobs import publish_handler
from bot.reports.service import WEEKLY_STEP, ReportService
from bot.runtime.health import Health
from bot.runtime.jobs import GiveUp, Handler, JobKind, JobReport, Jobs
from bot.settings import Settings
from bot.signals.jobs import open_give_up, open_handler
from bot.signals.service import SignalService
from bot.steps import StepReport, StepRunner
from bot.survey.service import SurveyService
from bot.survey.steps import SurveySteps
from bot.team import TeamService
from bot.turnover.service import TurnoverService
from bot.writeback.hubspot_api import HubSpotCRM
from bot.writeback.hubspot_outcomes import HubSpotOutcomes
from bot.writeback.service import StripeWriteBack
from bot.writeback.stripe_api import StripeBilling
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
    api: Any
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
    hubspot: HubSpotCRM | None = None
    """HubSpot, when `HUBSPOT_ACCESS_TOKEN` is set (docs/hubspot.md)."""
    installs: Installs | None = None
    """OAuth mode's installation (bot/installs.py); None with one SLACK_BOT_TOKEN."""
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


def _leads(team: TeamService) -> tuple[str, ...]:
    """The people whose App Home shows the report (bot.access: REVENUE)."""
    return revenue_viewers(team.current(stale_ok=True))


def settings_clock(settings: Settings) -> Clock:
    """The real clock, or the test clock SAVEDESK_TEST_CLOCK_FILE names (docs/configuration.md,
    *The test clock*): real time plus the seconds written in that file, read again when it
    changes."""
    if settings.test_clock_file is None:
        return SystemClock()
    log.warning("TEST CLOCK: now is real time + the seconds in %s", settings.test_clock_file)
    return OffsetClock(file=settings.test_clock_file)


def _jobs(
    db: Database,
    clock: Clock,
    signals: SignalService,
    reports: ReportService,
    writeback: dict[JobKind, Handler],
    give_up: dict[JobKind, GiveUp],
) -> Jobs:
    """The job system with each kind's handler (bot.runtime.jobs)."""
    return Jobs(
        db,
        clock,
        handlers={
            JobKind.OPEN_CASE: open_handler(signals),
            JobKind.PUBLISH_REPORT: publish_handler(reports),
            **writeback,
        },
        give_up={JobKind.OPEN_CASE: open_give_up(db, clock), **give_up},
    )


def _writeback(
    settings: Settings, db: Database, clock: Clock, cases: CaseService, finance: Finance
) -> tuple[dict[JobKind, Handler], dict[JobKind, GiveUp], HubSpotCRM | None]:
    """Write-back to Stripe when `STRIPE_API_KEY` is set (jobs queued with the renewal
    answer and the accepted offer) and to HubSpot when `HUBSPOT_ACCESS_TOKEN` is (queued
    with a case's outcome); docs/stripe.md, *Write-back to Stripe*, and docs/hubspot.md."""
    handlers: dict[JobKind, Handler] = {}
    give_up: dict[JobKind, GiveUp] = {}
    if settings.stripe_api_key:
        billing = StripeBilling(settings.stripe_api_key, settings.stripe_api_base)
        stripe = StripeWriteBack(db, clock, billing, cases.timeline)
        finance.renewals.answered.append(stripe.renewal_answered)
        cases.timeline.listeners.append(stripe.heard)
        handlers.update(stripe.handlers())
        give_up = dict.fromkeys(stripe.handlers(), stripe.give_up)
    if not settings.hubspot_access_token:
        return handlers, give_up, None
    crm = HubSpotCRM(settings.hubspot_access_token, settings.hubspot_api_base)
    outcomes = HubSpotOutcomes(db, clock, crm)
    cases.lifecycle.status_listeners.append(outcomes.status_changed)
    return {**handlers, **outcomes.handlers()}, give_up, crm


def assemble(
    settings: Settings,
    policy: Policy,
    clock: Clock | None,
    *,
    api: Any,
    lookup: PeopleLookup,
    transport: SlackTransport,
    presenter: Presenter,
) -> Services:
    """Build every service; the Slack side (`api`, `lookup`, `transport`, `presenter`) is
    handed in by `wiring.build_services`, so this module never imports the Slack adapter."""
    clock = clock or settings_clock(settings)
    stale = lambda: team.current(stale_ok=True)  # noqa: E731  (steps: no Slack call inside)
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    directory = Directory(db, lookup, clock)
    team = TeamService(policy, directory)
    cases = CaseService(db, policy, clock, team, presenter)
    offers = OfferService(cases)
    ladder = Ladder(policy, stale, presenter)
    survey = SurveyService(db, policy, clock, team.current, cases.timeline, cases.access)
    cases.lifecycle.status_listeners.append(survey.status_changed)
    cases.timeline.listeners.append(CaseEvents(policy).heard)
    survey_steps = SurveySteps(policy, stale, cases.timeline)
    signals = SignalService(db, policy, clock, cases)
    finance = Finance(db, policy, clock, stale, signals, cases.access)
    reports = ReportService(db, policy, clock, presenter, cases.access)
    checkins = CheckinService(db, policy, clock, team.current, cases.timeline)
    cases.lifecycle.status_listeners.append(checkins.status_changed)
    writeback, give_up, crm = _writeback(settings, db, clock, cases, finance)
    hours = HoursService(db, policy, clock, stale, cases.timeline, cases.access)
    handlers = {**hours.handlers(), **ladder.handlers(), OFFER_NUDGE: offers.nudge}
    handlers |= {**survey_steps.handlers(), **finance.handlers(), **checkins.handlers()}
    handlers[WEEKLY_STEP] = reports.weekly_step
    return Services(
        settings=settings,
        policy=policy,
        db=db,
        clock=clock,
        api=api,
        deliverer=Deliverer(db, transport, clock, files=reports.chart_file),
        directory=directory,
        team=team,
        cases=cases,
        offers=offers,
        signals=signals,
        steps=StepRunner(db, clock, handlers),
        reports=reports,
        homes=HomeRefresher(db, clock, lambda: _leads(team)),
        survey=survey,
        survey_steps=survey_steps,
        finance=finance,
        turnover=TurnoverService(db, policy, clock, cases, signals, team),
        checkins=checkins,
        hours=hours,
        jobs=_jobs(db, clock, signals, reports, writeback, give_up),
        hubspot=crm,
        webhooks=WebhookSender(db, policy, clock, keep=settings.webhook_deliveries_keep),
    )
