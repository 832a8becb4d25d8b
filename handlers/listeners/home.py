"""App Home: on `app_home_opened`, publish the person's dashboard (`bot.cases.dashboard`,
rendered by `slack_edge.dashboard_view`), with the leaders' revenue-at-risk report and,
for finance people, their overdue invoices.

Bolt acknowledges the event before this listener runs (process_before_response=False), so
the database reads and `views.publish` happen after Slack has its 200.
"""

from __future__ import annotations

from typing import Any, Protocol

from slack_bolt import App, BoltContext

from bot.cases.dashboard import load_home
from bot.cases.service import CaseService
from bot.common.clock import Clock
from bot.finance.service import Finance
from bot.hours.service import HoursService
from bot.people.access import Action, Role
from bot.reports.service import ReportService
from bot.runtime.services import Services
from bot.setup.checkup import delivery_alerts
from handlers.acting import Acting, event
from slack_edge.dashboard_view import home_view
from slack_edge.hours_home import hours_blocks
from slack_edge.report_messages import home_report_blocks
from storage.db import Database


def register(app: App, services: Services) -> None:
    def home_opened(acting: Acting, context: BoltContext) -> None:
        if acting.meta.get("tab", "home") != "home":
            return  # the Messages tab: nothing to publish
        republish(services, acting)

    app.event("app_home_opened")(event(home_opened))


def republish(services: Services, acting: Acting) -> None:
    """Publish the person's whole App Home: when they open it, and again after a change
    made from it (working hours and time off: `actions/hours.py`, `views/hours.py`)."""
    acting.slack.publish_home(acting.user, user_home(services, acting.user))


class HomeSources(Protocol):
    """What an App Home reads: `Services` has these, and so has what the composition root
    hands the leaders' home refresher before `Services` exists (wiring.py)."""

    db: Database
    clock: Clock
    cases: CaseService
    reports: ReportService
    finance: Finance
    hours: HoursService


def user_home(services: HomeSources, user: str) -> dict[str, Any]:
    """The whole App Home of `user`; those who see revenue figures (bot.people.access) also get
    the revenue-at-risk section (the report's refresher publishes this too, after case
    changes), finance people their overdue invoices; every member their working hours and
    time off (docs/hours.md)."""
    page = load_home(services.cases, user)
    report = []
    if page.everyone is not None:
        leader = services.reports.for_leaders()
        report = home_report_blocks(leader.report, leader.chart_url, leader.chart_title)
    acting, now = services.cases.access.actor(user), services.clock.now()
    overdue = services.finance.views.home_overdue(acting, now)
    alerts = delivery_alerts(services.db) if Role.ADMIN in acting.roles() else []
    hours = hours_blocks(services.hours.view(user)) if acting.may(Action.HOURS) else []
    return home_view(page, report, overdue, alerts, hours).to_dict()
