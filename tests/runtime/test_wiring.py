"""The composition root (docs/ARCHITECTURE.md, *Composition root*): every service built once,
its listeners and hooks given in its constructor, none added after."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.common.clock import FakeClock
from bot.offers.service import NUDGE as OFFER_NUDGE
from bot.policy import Policy
from bot.reports.service import WEEKLY_STEP
from bot.runtime.jobs import JobKind
from bot.runtime.scheduler import Scheduler
from bot.runtime.services import Services
from bot.writeback.service import offer_accepted, renewal_answered
from demo.standin import SlackStandin
from slack_edge.checkin_messages import checkin_blocks
from tests.oauth_app import oauth_services, oauth_settings
from wiring import build_services


def test_each_listener_is_given_at_construction_and_fixed(services: Services) -> None:
    lifecycle, timeline = services.cases.lifecycle, services.cases.timeline
    assert lifecycle.status_listeners == (
        services.survey.status_changed,
        services.checkins.status_changed,
    )
    assert lifecycle.timeline is timeline
    assert len(lifecycle.closing) == 1 and len(timeline.root_lines) == 1
    assert len(timeline.listeners) == 1 and services.finance.renewals.answered == ()
    assert len(services.signals.received) == 1
    for hooks in (lifecycle.status_listeners, timeline.listeners, services.signals.received):
        assert isinstance(hooks, tuple)  # nobody appends later
    assert services.checkins.blocks is checkin_blocks
    assert services.finance.stripe.on_subscription is not None
    assert services.finance.stripe.on_payment_failed is not None


def test_stripe_write_back_listens_when_its_key_is_set(services: Services) -> None:
    settings = replace(services.settings, stripe_api_key="sk_test_x")
    built = build_services(settings, services.policy, services.clock)
    try:
        assert built.cases.timeline.listeners[-1] is offer_accepted
        assert built.finance.renewals.answered == (renewal_answered,)
        assert JobKind.STRIPE_OFFER in built.jobs.handlers
    finally:
        built.db.dispose()


def test_each_service_is_built_once(services: Services) -> None:
    """What the step runner, job system and App Home run is the object in `Services`."""
    cases = services.cases
    for shared in (services.survey, services.checkins, services.hours, services.finance):
        assert getattr(shared, "timeline", cases.timeline) is cases.timeline
    assert services.signals.cases is cases and services.turnover.signals is services.signals
    assert services.steps.handlers[OFFER_NUDGE].__self__ is services.offers  # type: ignore[attr-defined]
    assert services.steps.handlers[WEEKLY_STEP].__self__ is services.reports  # type: ignore[attr-defined]
    assert services.homes.render.args[0].cases is cases  # type: ignore[attr-defined]
    assert services.homes.render.args[0].finance is services.finance  # type: ignore[attr-defined]
    assert services.workflow.signals is services.signals
    assert services.installs is None  # one SLACK_BOT_TOKEN


def test_the_leaders_home_renders_without_services(services: Services) -> None:
    """The refresher renders from the parts it was given (the root builds it before
    `Services` exists): a leader's home is a Block Kit view."""
    view = services.homes.render("U0MGR")
    assert view["type"] == "home" and view["blocks"]


def test_oauth_mode_hears_of_installation_changes(
    db_url: str, standin: SlackStandin, tmp_path: Path, policy: Policy, clock: FakeClock
) -> None:
    built = oauth_services(oauth_settings(db_url, standin, tmp_path), policy, clock)
    try:
        tokens = built.api.tokens  # type: ignore[attr-defined]
        assert built.installs is not None and tokens.db is built.db
        assert built.installs.changed == [tokens.forget_cached]
    finally:
        built.db.dispose()


def test_the_scheduler_reports_its_loops_to_health(services: Services) -> None:
    scheduler = Scheduler(services)
    scheduler.delivery.report("Slack is down")
    scheduler.webhooks.report(None)
    loops = services.health.loops()
    assert loops["delivery"].endswith("Slack is down") and loops["webhooks"] == "ok"
