"""App Home: on `app_home_opened`, publish the person's dashboard (`bot.cases.dashboard`,
rendered by `slack_edge.dashboard_view`).

Bolt acknowledges the event before this listener runs (process_before_response=False), so
the database reads and `views.publish` happen after Slack has its 200.
"""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.cases.dashboard import load_home
from bot.services import Services
from handlers.acting import Acting, event
from slack_edge.dashboard_view import home_view


def register(app: App, services: Services) -> None:
    def home_opened(acting: Acting, context: BoltContext) -> None:
        if acting.meta.get("tab", "home") != "home":
            return  # the Messages tab: nothing to publish
        view = home_view(load_home(services.cases, acting.user))
        acting.slack.publish_home(acting.user, view.to_dict())

    app.event("app_home_opened")(event(home_opened))
