"""What `python app.py check` counts as a problem beyond a malformed setting or policy:
things that leave Savedesk unable to do its job, each one line (docs/cli.md, *Commands*).

Warnings (`Policy.warnings`) are legal but probably unintended and never fail `check`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.common.clock import SystemClock, read_offset
from bot.common.vocab import DeliveryState
from bot.outbox.holding import pause_reason
from bot.people.directory import Directory, PersonNotFound, is_user_id
from bot.policy import ROLE_NAMES, Policy
from bot.ports import SlackError
from bot.runtime.installs import Installs
from bot.runtime.settings import Settings, example_values, missing_settings
from storage import outbound as webhook_rows
from storage import outbox as outbox_rows
from storage import outbox_holds
from storage import steps as step_rows
from storage.db import Database

FAILED_SHOWN = 10  # failed messages, and failed follow-ups, listed at most


class DatabaseSilent(Exception):
    """The database does not answer a trivial query; the message is the driver's reason."""


@dataclass
class DatabaseState:
    """`status`: one line to print when the schema is current; `problems`: what to fix."""

    status: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Lines to print after `status`: each outbound webhook endpoint's last delivery."""


def config_problems(settings: Settings, policy: Policy, env: Mapping[str, str]) -> list[str]:
    """Required settings that are absent or still hold an example value, a policy file
    POLICY_FILE names but that is not there (the built-in defaults would apply without
    anyone deciding so), and the policy's own problems (no cases channel)."""
    examples = example_values(env)
    real = {k: v for k, v in env.items() if k not in examples}
    found = list(examples.values())
    found += [m for m in missing_settings(real) if m.split(" ", 1)[0] not in examples]
    if env.get("SLACK_CLIENT_ID", "").strip() and not env.get("SLACK_BOT_TOKEN", "").strip():
        found = [m for m in found if not m.startswith("SLACK_BOT_TOKEN is required")]
        if not env.get("SLACK_CLIENT_SECRET", "").strip():  # an example one is said above
            found.insert(0, CLIENT_SECRET_MISSING)
    path = settings.policy_file
    if settings.policy_file_named and not path.exists():
        found.append(
            f"POLICY_FILE: {path} does not exist (the built-in defaults would apply); create "
            f"it (`cp policy.example.toml {path}`, then edit) or unset POLICY_FILE"
        )
    return found + policy.problems()


CLIENT_SECRET_MISSING = (
    "SLACK_CLIENT_SECRET is required with SLACK_CLIENT_ID for OAuth installs (the Client "
    "Secret from your Slack app's Basic Information); or unset SLACK_CLIENT_ID and set "
    "SLACK_BOT_TOKEN"
)


def database_state(
    db: Database, policy: Policy | None = None, slack_client_id: str | None = None
) -> DatabaseState:
    """The schema behind (`migrate`), or the failed messages and follow-ups (10 of each at
    most), and each of the `policy`'s outbound webhook endpoints' last delivery (failed
    deliveries are problems); in OAuth mode (`slack_client_id`), the installation (not
    installed, or removed, is a problem). Raises DatabaseSilent when the database does not
    answer."""
    absent = missing_sqlite_file(db.url)
    if absent is not None:  # connecting would create it: `check` changes nothing
        return DatabaseState(
            problems=[f"database: {absent} does not exist yet; `python app.py migrate` creates it"]
        )
    silent = db.problem()
    if silent is not None:
        raise DatabaseSilent(silent)
    if not db.is_current():
        at = db.revision() or "empty"
        return DatabaseState(
            problems=[f"database: the schema ({at}) needs `python app.py migrate`"]
        )
    state = DatabaseState(status=f"database: schema up to date (revision {db.revision()})")
    with db.read() as session:
        for row in outbox_rows.failed(session, limit=FAILED_SHOWN):
            state.problems.append(
                f"message {row.id} ({row.method} to {row.channel}) failed: {row.last_error}"
            )
        for step in step_rows.failed(session, limit=FAILED_SHOWN):
            state.problems.append(f"follow-up {step.key} failed: {step.payload.get('error', '?')}")
        state.problems += slack_refusals(session)
        for hook in policy.outbound_webhooks if policy else ():
            endpoint = webhook_rows.endpoint_state(session, hook.url)
            state.notes.append(endpoint_line(endpoint))
            if endpoint.failed:
                state.problems.append(
                    f"webhook {hook.url}: {endpoint.failed} event(s) could not be delivered"
                    " (retried for a day); the receiver missed them"
                )
    if slack_client_id:
        notes, problems = Installs(db, SystemClock(), slack_client_id).notes(SystemClock().now())
        state.notes += notes
        state.problems += problems
    return state


INSTALL_ERRORS = ("app_uninstalled", "invalid_refresh_token")
"""Refusals only OAuth mode makes: no installation holds a token, or Slack refused to
refresh it (slack_edge/installs.py)."""


def missing_sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names when it is not there yet (None for any other database)."""
    parsed = make_url(url)
    name = parsed.database or ""
    if (
        parsed.get_backend_name() != "sqlite"
        or name in ("", ":memory:")
        or name.startswith("file:")
    ):
        return None
    return None if Path(name).exists() else name


def slack_refusals(session: Session) -> list[str]:
    """Delivery paused for the whole workspace, and each channel whose messages wait because
    Slack refuses it (docs/slack.md, *When Slack says no*): what to do about each."""
    found = []
    paused = pause_reason(session, SystemClock().now())
    if paused is not None:
        found.append(f"{paused}; {_pause_advice(paused)}")
    for held in outbox_holds.waiting_channels(session):
        since = held.since.strftime("%Y-%m-%d %H:%M UTC")
        found.append(
            f"channel {held.channel}: Slack answers {held.reason} since {since}; "
            f"{held.messages} message(s) wait (unarchive it or /invite the app to it)"
        )
    return found


def _pause_advice(paused: str) -> str:
    """What to do about a pause: OAuth mode's no-token refusals (bot/outbox/refusals.py)
    need an install at /slack/install (docs/slack-admin.md); any other, the token or Slack."""
    if any(error in paused for error in INSTALL_ERRORS):
        return "install the app again at /slack/install (OAuth mode)"
    return "check SLACK_BOT_TOKEN and Slack's status"


def delivery_alerts(db: Database) -> list[str]:
    """`slack_refusals` in a read of its own: what admins see at the top of App Home."""
    with db.read() as session:
        return slack_refusals(session)


def test_clock_warning(settings: Settings) -> str | None:
    """The loud line `check` prints when SAVEDESK_TEST_CLOCK_FILE is set: every process
    would read "now" moved by the file's number of seconds (docs/configuration.md, *The test
    clock*). Says what the file holds now, or that it cannot be read."""
    path = settings.test_clock_file
    if path is None:
        return None
    try:
        seconds = read_offset(path).total_seconds()
        shown = str(int(seconds)) if seconds.is_integer() else str(seconds)
        held = f"it holds {shown} seconds = {seconds / 86400:.2f} days"
        if seconds < 0:
            held += ", behind real time"
    except (OSError, ValueError) as err:
        held = (
            f"it cannot be used ({err}): a process starting now takes 0, one running keeps "
            "the last offset it read"
        )
    return (
        f"WARNING: TEST CLOCK ON: SAVEDESK_TEST_CLOCK_FILE={path} moves every process's "
        f'"now" by the seconds in that file ({held}). For rehearsals and acceptance tests '
        "only: unset it in production."
    )


def unresolved_people(policy: Policy, directory: Directory) -> list[str]:
    """One warning per people reference in the policy that Slack says names nobody (an
    @group with no such handle, an email no member has), with where it is used: nothing
    addressed to it would reach anyone. References Slack could not be asked about are not
    listed (docs/cli.md, *Commands*)."""
    roles = [(f"roles.{role}", ref) for role in ROLE_NAMES for ref in policy.role(role)]
    others = sorted(policy.people() - {ref for _, ref in roles})
    found: dict[str, str] = {}
    for where, ref in [*roles, *(("the policy", ref) for ref in others)]:
        if is_user_id(ref) or ref in found:
            continue
        try:
            directory.resolve(ref)
        except PersonNotFound as err:
            found[ref] = (
                f"{where} names {ref}, which Slack cannot resolve ({err}): nobody is reached "
                "through it; create it in Slack or correct it"
            )
        except (SlackError, OSError):  # Slack not answering about it: not the reference's fault
            continue
    return list(found.values())


def endpoint_line(endpoint: webhook_rows.EndpointState) -> str:
    """One endpoint's last delivery for `check`: when, the outcome, what still waits."""
    last = endpoint.last
    if last is None or last.last_attempt_at is None:
        said = "no delivery attempted yet"
    else:
        when = last.last_attempt_at.strftime("%Y-%m-%d %H:%M UTC")
        delivered = last.state == DeliveryState.DELIVERED
        outcome = last.state if delivered else (last.last_error or last.state)
        said = f"last delivery {when}: {last.event_type} {outcome}"
        if last.last_status is not None and delivered:
            said += f" (HTTP {last.last_status})"
    return f"webhook {endpoint.url}: {said}; {endpoint.waiting} waiting"
