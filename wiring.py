"""The composition root (docs/ARCHITECTURE.md, *Composition root*): `build_services` builds
every service of a process once, each given its collaborators in its constructor, and joins
`bot/` to Slack through `slack_edge`. app.py, serving.py, demo/, the tests and the benches
all build through it; nothing sets a hook on a service after it is built.

It builds in the order the services need each other. Three needs go both ways, and are
broken without a late hook:

- Cases and the domains that hear of their changes (survey, check-ins, outbound webhooks,
  Stripe and HubSpot write-back, turnover) need each other: those domains need only the
  `Timeline` and the access rules, never `CaseService`, so the timeline, access and
  `Lifecycle` are built first, with the listeners, and handed to `CaseService`. Stripe's
  listeners are plain functions (bot/writeback/service.py), turnover's hooks small objects
  apart from `TurnoverService` (`root_lines`, `CaseClosed`; `AnswersNeeded`, a
  `SignalService` follow-up, in bot/turnover/service.py).
- The leaders' App Home refresher is part of `Services`, and rendering a home reads other
  services: the refresher gets a `HomeSources` of those, not `Services`.
- In OAuth mode the Slack clients take the installation's token, which lives in the
  database: the database is built before the clients, and `Installs` is given the token
  source's `forget_cached` as its listener.

No cycle is left, so no service is patched after it is built. The collaborators most
services take travel as one `Core`; a service is added with a line in a `build_*` function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from slack_sdk import WebClient

from bot.cases.lifecycle import Lifecycle, StatusListener
from bot.cases.service import CaseService, stops_escalation
from bot.cases.timeline import EventListener, Timeline
from bot.checkins.service import CheckinService
from bot.common.clock import Clock
from bot.finance.renewals import Answered
from bot.finance.service import Finance
from bot.followups.service import Ladder
from bot.hours.service import HoursService
from bot.offers.service import NUDGE as OFFER_NUDGE
from bot.offers.service import OfferService
from bot.outbound.delivery import WebhookSender
from bot.outbound.service import CaseEvents
from bot.outbox import Deliverer
from bot.people.access import Access, revenue_viewers
from bot.people.directory import Directory
from bot.people.team import Team, TeamService
from bot.policy import Policy
from bot.ports import PeopleLookup, Presenter, SlackTransport
from bot.reports.home import HomeRefresher
from bot.reports.jobs import publish_handler
from bot.reports.service import WEEKLY_STEP, ReportService
from bot.runtime.installs import Installs
from bot.runtime.jobs import GiveUp, Handler, JobKind, Jobs
from bot.runtime.services import Services, settings_clock
from bot.runtime.settings import Settings
from bot.runtime.steps import StepHandler, StepRunner
from bot.signals.jobs import open_give_up, open_handler
from bot.signals.service import SignalService
from bot.signals.workflow import WorkflowStep
from bot.survey.service import SurveyService
from bot.survey.steps import SurveySteps
from bot.turnover.service import AnswersNeeded, CaseClosed, TurnoverService, root_lines
from bot.writeback.hubspot_api import HubSpotCRM
from bot.writeback.hubspot_outcomes import HubSpotOutcomes
from bot.writeback.service import StripeWriteBack, offer_accepted, renewal_answered
from bot.writeback.stripe_api import StripeBilling
from handlers.listeners.home import user_home
from slack_edge.checkin_messages import checkin_blocks
from slack_edge.clients import delivery_client, interactive_client
from slack_edge.installs import TokenSource
from slack_edge.presenter import SlackPresenter
from slack_edge.transport import WebTransport
from storage.db import Database


@dataclass(frozen=True)
class Core:
    """What most services take first. A collaborator nearly every service needs (a port)
    goes here once, and each `build_*` below hands it on."""

    settings: Settings
    policy: Policy
    db: Database
    clock: Clock
    team: TeamService
    presenter: Presenter

    def stale(self) -> Team:
        """The team for steps and jobs: a stale one rather than a Slack call inside."""
        return self.team.current(stale_ok=True)


@dataclass(frozen=True)
class Slack:
    """The Slack side: the interactive client, the people look-ups over it, the outbox's
    transport, and in OAuth mode the installation (docs/slack-admin.md)."""

    api: WebClient
    lookup: PeopleLookup
    transport: SlackTransport
    installs: Installs | None


@dataclass(frozen=True)
class CaseSide:
    """Cases and the services that hear of their changes (built together, see above)."""

    cases: CaseService
    survey: SurveyService
    checkins: CheckinService
    stripe: StripeWriteBack | None
    hubspot: HubSpotOutcomes | None


@dataclass(frozen=True)
class HomeParts:
    """What the leaders' App Home reads (handlers.listeners.home.HomeSources)."""

    db: Database
    clock: Clock
    cases: CaseService
    reports: ReportService
    finance: Finance
    hours: HoursService


def build_services(settings: Settings, policy: Policy, clock: Clock | None = None) -> Services:
    """Every service, once, wired to the Slack Web API at `settings.slack_api_url` (Slack by
    default); in OAuth mode every client takes the installation's current token."""
    clock = clock or settings_clock(settings)
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    slack = build_slack(settings, db, clock)
    team = TeamService(policy, Directory(db, slack.lookup, clock))
    core = Core(settings, policy, db, clock, team, SlackPresenter())
    side = build_case_side(core)
    return build_rest(core, slack, side, build_signals(core, side.cases))


def build_rest(core: Core, slack: Slack, side: CaseSide, signals: SignalService) -> Services:
    """What builds on cases and signals: finance, reports, hours, turnover, the steps and
    jobs that run them, the App Home refresher and the outbox."""
    settings, policy, db, clock, team = core.settings, core.policy, core.db, core.clock, core.team
    cases, access, timeline = side.cases, side.cases.access, side.cases.timeline
    finance = Finance(
        db, policy, clock, core.stale, signals, access, answered=renewal_listeners(settings)
    )
    reports = ReportService(db, policy, clock, core.presenter, access)
    hours = HoursService(db, policy, clock, core.stale, timeline, access)
    offers = OfferService(cases)
    survey_steps = SurveySteps(policy, core.stale, timeline)
    steps = [
        hours,
        Ladder(policy, core.stale, core.presenter),
        survey_steps,
        finance,
        side.checkins,
    ]
    handlers = step_handlers(steps, {OFFER_NUDGE: offers.nudge, WEEKLY_STEP: reports.weekly_step})
    home = partial(user_home, HomeParts(db, clock, cases, reports, finance, hours))
    return Services(
        settings=settings,
        policy=policy,
        db=db,
        clock=clock,
        api=slack.api,
        deliverer=Deliverer(db, slack.transport, clock, files=reports.chart_file),
        directory=team.directory,
        team=team,
        cases=cases,
        offers=offers,
        signals=signals,
        steps=StepRunner(db, clock, handlers),
        reports=reports,
        homes=HomeRefresher(db, clock, partial(leaders, team), home),
        survey=side.survey,
        survey_steps=survey_steps,
        finance=finance,
        turnover=TurnoverService(db, policy, clock, cases, signals, team),
        checkins=side.checkins,
        hours=hours,
        jobs=build_jobs(core, signals, reports, side),
        webhooks=WebhookSender(db, policy, clock, keep=settings.webhook_deliveries_keep),
        workflow=WorkflowStep(db, clock, signals),
        hubspot=side.hubspot.crm if side.hubspot else None,
        installs=slack.installs,
    )


def build_slack(settings: Settings, db: Database, clock: Clock) -> Slack:
    """One bot token (SLACK_BOT_TOKEN), or OAuth mode: every client asks a `TokenSource`
    for the installation's current token, read afresh when the installation changes."""
    tokens = TokenSource(settings, db, clock) if settings.oauth_mode else None
    installs = None
    if tokens is not None:
        installs = Installs(db, clock, tokens.client_id, changed=[tokens.forget_cached])
    api = interactive_client(settings, tokens)
    transport = WebTransport(delivery_client(settings, tokens))
    return Slack(api, WebTransport(api), transport, installs)


def build_case_side(core: Core) -> CaseSide:
    """The timeline and lifecycle with their listeners first, then `CaseService` on them."""
    settings, policy, db, clock, team = core.settings, core.policy, core.db, core.clock, core.team
    access = Access(team, team.directory)
    timeline = Timeline(
        clock,
        policy,
        core.presenter,
        stops_escalation(team),
        listeners=event_listeners(settings, policy),
        root_lines=[root_lines],
    )
    survey = SurveyService(db, policy, clock, team.current, timeline, access)
    checkins = CheckinService(db, policy, clock, team.current, timeline, checkin_blocks)
    stripe = stripe_writeback(core, timeline)
    hubspot = hubspot_outcomes(core, timeline)
    status: list[StatusListener] = [survey.status_changed, checkins.status_changed]
    status += [hubspot.status_changed] if hubspot else []
    closing = [CaseClosed(clock, timeline)]
    lifecycle = Lifecycle(clock, timeline, status_listeners=status, closing=closing)
    cases = CaseService(
        db, policy, clock, team, access=access, timeline=timeline, lifecycle=lifecycle
    )
    return CaseSide(cases, survey, checkins, stripe, hubspot)


def event_listeners(settings: Settings, policy: Policy) -> list[EventListener]:
    """Told of every timeline event: outbound webhooks, and with `STRIPE_API_KEY` an
    accepted offer's write-back job (docs/stripe.md, *Write-back to Stripe*)."""
    listeners: list[EventListener] = [CaseEvents(policy).heard]
    return [*listeners, offer_accepted] if settings.stripe_api_key else listeners


def renewal_listeners(settings: Settings) -> list[Answered]:
    """With `STRIPE_API_KEY`, a pre-renewal answer queues its write-back job."""
    return [renewal_answered] if settings.stripe_api_key else []


def stripe_writeback(core: Core, timeline: Timeline) -> StripeWriteBack | None:
    """Runs the Stripe write-back jobs when `STRIPE_API_KEY` is set."""
    key = core.settings.stripe_api_key
    if not key:
        return None
    billing = StripeBilling(key, core.settings.stripe_api_base)
    return StripeWriteBack(core.db, core.clock, billing, timeline)


def hubspot_outcomes(core: Core, timeline: Timeline) -> HubSpotOutcomes | None:
    """A case's outcome written to HubSpot when `HUBSPOT_ACCESS_TOKEN` is set
    (docs/hubspot.md)."""
    token = core.settings.hubspot_access_token
    if not token:
        return None
    crm = HubSpotCRM(token, core.settings.hubspot_api_base)
    return HubSpotOutcomes(core.db, core.clock, crm, timeline)


def leaders(team: TeamService) -> tuple[str, ...]:
    """The people whose App Home shows the report (bot.people.access: REVENUE)."""
    return revenue_viewers(team.current(stale_ok=True))


class HasSteps(Protocol):
    """A service with scheduled steps (bot.runtime.steps)."""

    def handlers(self) -> Mapping[str, StepHandler]: ...


def step_handlers(
    sources: list[HasSteps], more: Mapping[str, StepHandler]
) -> dict[str, StepHandler]:
    """Each step kind's handler, for the StepRunner (docs/ARCHITECTURE.md, recipe step 6)."""
    handlers: dict[str, StepHandler] = {}
    for source in sources:
        handlers |= source.handlers()
    return handlers | dict(more)


def build_signals(core: Core, cases: CaseService) -> SignalService:
    """The one way a case is born; a `contact_left` webhook signal then asks for answers."""
    answers_needed = AnswersNeeded(core.db, core.clock, cases)
    return SignalService(core.db, core.policy, core.clock, cases, received=[answers_needed])


def build_jobs(core: Core, signals: SignalService, reports: ReportService, side: CaseSide) -> Jobs:
    """The job system with each kind's handler (bot.runtime.jobs); Stripe's and HubSpot's
    write-back when they are on."""
    handlers: dict[JobKind, Handler] = {
        JobKind.OPEN_CASE: open_handler(signals),
        JobKind.PUBLISH_REPORT: publish_handler(reports),
    }
    give_up: dict[JobKind, GiveUp] = {JobKind.OPEN_CASE: open_give_up(core.db, core.clock)}
    if side.stripe is not None:
        handlers |= side.stripe.handlers()
        give_up |= dict.fromkeys(side.stripe.handlers(), side.stripe.give_up)
    if side.hubspot is not None:
        handlers |= side.hubspot.handlers()
        give_up |= dict.fromkeys(side.hubspot.handlers(), side.hubspot.give_up)
    return Jobs(core.db, core.clock, handlers=handlers, give_up=give_up)
