"""A person's time zone as Slack tells the app: `users.info` knows it, and a `user_change`
event (delivered as Slack would, retries included) makes the app learn it."""

from __future__ import annotations

from tests.conftest import RunningApp, eventually
from tests.slack_events import delivered


def lives_in(app: RunningApp, user: str, tz: str = "Pacific/Auckland") -> None:
    """`user` is in `tz` (an IANA name) at Slack, and the app's hours know it."""
    app.standin.add_user(user, tz=tz)
    event = {"type": "user_change", "user": app.standin.change_user(user)}
    assert delivered(app.slack, event).status == 200
    eventually(lambda: app.services.hours.view(user).tz == tz)
