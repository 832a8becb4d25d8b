"""What `bot/` needs from Slack at run time, as protocols of its own.

`bot/` never imports slack_sdk nor slack_edge: the outbox deliverer and the people directory
talk to small interfaces, services hand message views to the `Presenter`; `slack_edge`
implements them (over slack_sdk's WebClient, in Block Kit), and the composition root
(`wiring.build_services`) hands the implementations in. Tests may pass any object with the
same methods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.people.standing import HomeTeam, PersonFacts

if TYPE_CHECKING:
    from bot.cases.models import AccountView, CaseView
    from bot.offers.concessions import Concession
    from bot.offers.models import OfferView
    from bot.reports.models import Report
    from bot.signals.models import SlackMessage
    from bot.survey.models import SurveySummary
    from bot.turnover.models import PlanView


@dataclass
class SlackError(Exception):
    """Slack answered a Web API call with an error (HTTP status and Slack's `error` code).

    `headers` carries the response headers so a 429's `Retry-After` can be honoured. A
    connection that never got an answer is an `OSError` instead, as with slack_sdk.
    """

    status: int
    error: str
    headers: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"Slack answered {self.status}: {self.error}"


class SlackTransport(Protocol):
    """The outbox deliverer's only way to Slack (see bot/outbox.py)."""

    def call(self, method: str, args: dict[str, Any]) -> Mapping[str, Any]:
        """Call a Web API method with JSON arguments; raises SlackError or OSError."""
        ...

    def read(self, method: str, args: dict[str, Any]) -> Mapping[str, Any]:
        """Call a Web API read method (conversations.history, conversations.replies) with
        form arguments, as Slack takes them; raises SlackError or OSError."""
        ...

    def permalink(self, channel: str, ts: str) -> str:
        """`chat.getPermalink` for a posted message; raises SlackError or OSError."""
        ...

    def respond(self, url: str, text: str, *, replace: bool = False) -> int:
        """POST an ephemeral reply to a `response_url` (`replace`: in place of the ephemeral
        message shown before through it); returns the HTTP status."""
        ...

    def upload(
        self, channel: str, content: bytes, filename: str, title: str, thread_ts: str | None
    ) -> Mapping[str, Any]:
        """Share a file in a channel (and thread) with files_upload_v2; returns the file
        (`id`, `permalink`); raises SlackError, or OSError when the upload did not arrive."""
        ...


class PeopleLookup(Protocol):
    """The people directory's look-ups (see bot/people/directory.py)."""

    def user_by_email(self, email: str) -> str | None:
        """The user ID with this email, None if Slack has no such user; raises SlackError."""
        ...

    def group_members(self, handle: str) -> list[str] | None:
        """User IDs in the user group with this handle (no `@`), None if there is none."""
        ...

    def user_info(self, user_id: str) -> PersonFacts:
        """What Slack says about the user (`users.info`): `found` False for
        `user_not_found`; raises SlackError or OSError when Slack cannot be asked."""
        ...

    def home_team(self) -> HomeTeam:
        """The installation's team and organisation (`auth.test`); raises SlackError or
        OSError when Slack cannot be asked."""
        ...


class SlackWebApi(Protocol):
    """The interactive Web API client (slack_sdk's WebClient, from slack_edge.clients) in
    `Services.api`: `bot/` never calls it; handlers/, Bolt and the start-up check do."""

    def auth_test(self, **kwargs: Any) -> Any:
        """`auth.test`: who the token belongs to; raises slack_sdk's errors."""
        ...

    def api_call(self, api_method: str, **kwargs: Any) -> Any:
        """Any Web API method; raises slack_sdk's errors."""
        ...


Rendered = tuple[str, list[dict[str, Any]]]
"""A message as Slack takes it: the notification `text` and its Block Kit `blocks`."""


class Presenter(Protocol):
    """How a service's decision becomes a Slack message (docs/ARCHITECTURE.md, *Packages and
    arrows*): services hand plain, frozen message views (never ORM rows) and get back what
    the outbox sends; `slack_edge.presenter.SlackPresenter` builds the Block Kit. Thread-line
    text is composed in bot with bot/common/text.py and bot/common/formatting.py."""

    def case_root(
        self, case: CaseView, account: AccountView, extra: list[str] | None
    ) -> Rendered: ...

    def move_on_request(
        self, case: CaseView, actor: str, reason: str, managers: tuple[str, ...]
    ) -> Rendered: ...

    def nudge(self, case: CaseView, text: str, with_link: bool) -> Rendered: ...

    def nudge_retired(self, text: str, note: str) -> Rendered: ...

    def offer_request(
        self, offer: OfferView, currency: str, approvers: list[str], ledger: Sequence[Concession]
    ) -> Rendered: ...

    def open_prompt(self, message: SlackMessage, phrase: str, account_id: int | None) -> Rendered:
        """The threaded prompt to open a case from a message that sounds like churn."""
        ...

    def renewal(
        self, text: str, check_id: int, *, answered: bool, held: bool = False
    ) -> list[dict[str, Any]]: ...

    def survey_ask(self, text: str, answer_id: int) -> list[dict[str, Any]]: ...

    def survey_answered(
        self, text: str, answer_id: int, may_edit: bool
    ) -> list[dict[str, Any]]: ...

    def survey_answers(self, summary: SurveySummary, header: str) -> list[dict[str, Any]]: ...

    def survey_digest(self, sections: list[str]) -> list[dict[str, Any]]: ...

    def turnover_checklist(self, plan: PlanView) -> Rendered: ...

    def turnover_fill_in(self, case_id: int, owner: str | None) -> Rendered: ...

    def report(self, report: Report) -> Rendered:
        """The posted revenue-at-risk report; the chart follows as a file."""
        ...
