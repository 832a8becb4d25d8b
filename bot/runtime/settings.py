"""Settings: read once from the environment (and `.env`), validated into one typed object.

Nothing reads `os.environ` at import time; `load_settings` is called by `app.py` and the
result is passed down, so tests can build settings from a plain dict.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.common.durations import DURATION_HINT, format_duration, parse_duration
from bot.runtime.redact import guard_handlers

DEFAULT_DATABASE_URL = "sqlite:///savedesk.db"
DEFAULT_HOST = "0.0.0.0"  # every interface: what container platforms need to route to it
HOSTNAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")
# Measured with bench/bursts.py (bench/README.md): see there before changing.
DEFAULT_WEB_THREADS = 8
DEFAULT_POOL_SIZE = 10
DEFAULT_JOB_THREADS = 2  # jobs a worker process runs at once (bot/runtime/jobs.py)
DEFAULT_JOB_PROCESSES = 1  # `app.py jobs` children of each worker (bot/runtime/worker.py)
DEFAULT_WEBHOOK_KEEP = "30d"
"""How long a delivered outbound webhook event is kept (docs/webhooks.md)."""
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# What .env.example (and most guides) put where a secret goes: `xoxb-your-bot-token`,
# `your-signing-secret`, `whsec_...`, `a-long-random-string`, `<token>`, `changeme`.
# A real token or secret never looks like these (Slack's and Stripe's are random).
PLACEHOLDER = re.compile(
    r"(^|[-_])your[-_]|\.\.\.$|…$|^<.*>$|^(changeme|change-me|todo|xxx+)$"
    r"|^a-long-random-string$",
    re.IGNORECASE,
)
WHERE_FROM = {
    "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions",
    "SLACK_SIGNING_SECRET": "the Signing Secret from your Slack app's Basic Information",
    "SLACK_APP_TOKEN": "an app-level token (xapp-…) from your Slack app's Basic Information",
    "STRIPE_WEBHOOK_SECRET": "the endpoint's signing secret (whsec_…) from Stripe's webhooks page",
    "SIGNALS_WEBHOOK_SECRET": "a long random string shared with the systems that send signals",
    "STRIPE_API_KEY": "a restricted key (rk_…) or secret key (sk_…) from Stripe's API keys page",
    "HUBSPOT_ACCESS_TOKEN": "a private app's access token (pat-…) from HubSpot's settings",
    "SLACK_CLIENT_SECRET": "the Client Secret from your Slack app's Basic Information",
}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str | None
    database_url: str
    policy_file: Path
    stripe_webhook_secret: str | None
    signals_webhook_secret: str | None
    port: int
    log_level: str
    web_threads: int = DEFAULT_WEB_THREADS
    database_pool_size: int = DEFAULT_POOL_SIZE
    job_threads: int = DEFAULT_JOB_THREADS
    job_processes: int = DEFAULT_JOB_PROCESSES
    """Job processes a worker runs (`app.py jobs` children); 0 runs jobs on its own threads."""
    health_port: int | None = None
    host: str = DEFAULT_HOST
    policy_file_named: bool = False  # POLICY_FILE was set: a missing file is a mistake
    test_clock_file: Path | None = None
    """SAVEDESK_TEST_CLOCK_FILE: "now" is real time plus the seconds written there
    (docs/configuration.md, *The test clock*); for rehearsals and acceptance tests only, never by
    default."""
    stripe_api_key: str | None = None
    """Turns on write-back to Stripe (docs/stripe.md, *Write-back to Stripe*)."""
    stripe_api_base: str | None = None
    hubspot_access_token: str | None = None
    """Turns on HubSpot: companies imported as accounts, outcomes written back (docs/hubspot.md)."""
    hubspot_api_base: str | None = None
    webhook_deliveries_keep: timedelta = timedelta(days=30)
    """WEBHOOK_DELIVERIES_KEEP: delivered outbound webhook events older than this are
    deleted, except each endpoint's last one (what `check` shows); docs/webhooks.md."""
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    """With the client id, OAuth mode (docs/slack-admin.md) when SLACK_BOT_TOKEN is unset."""

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def oauth_mode(self) -> bool:
        """Installed through /slack/install, tokens kept in the database (and rotated),
        rather than one SLACK_BOT_TOKEN (docs/slack-admin.md, *OAuth or one token*)."""
        return bool(self.slack_client_id and self.slack_client_secret and not self.slack_bot_token)

    def describe(self) -> str:
        """A summary for `check` that never prints a secret."""
        db = make_url(self.database_url).render_as_string(hide_password=True)
        lines = [
            f"Slack: {'Socket Mode' if self.socket_mode else 'HTTP (/slack/events)'}"
            f", API {self.slack_api_url or 'https://slack.com/api/'}, "
            + ("OAuth installs (/slack/install)" if self.oauth_mode else "one bot token"),
            f"Database: {db}",
            f"Policy file: {self.policy_file}",
            f"Stripe webhook: {'enabled' if self.stripe_webhook_secret else 'disabled'}",
            f"Signals webhook: {'enabled' if self.signals_webhook_secret else 'disabled'}",
            "Stripe write-back: "
            + (f"on, API {self.stripe_api_base or 'Stripe'}" if self.stripe_api_key else "off"),
            "HubSpot: "
            + (
                f"on, API {self.hubspot_api_base or 'HubSpot'}"
                if self.hubspot_access_token
                else "off"
            ),
            f"HTTP port: {self.port} on {self.host}, {self.web_threads} web threads, "
            f"log level {self.log_level}",
            f"Database pool: {self.database_pool_size} connections",
            f"Jobs: {self.job_threads} threads in each of {self.job_processes or 'no'} job "
            f"process{'' if self.job_processes == 1 else 'es'} per worker"
            + ("" if self.job_processes else " (on the worker's own threads)")
            + (f", worker health on port {self.health_port}" if self.health_port else ""),
            "Outbound webhook deliveries: delivered ones kept "
            f"{format_duration(self.webhook_deliveries_keep)}",
        ]
        if self.test_clock_file is not None:
            lines.append(f"TEST CLOCK: now = real time + the seconds in {self.test_clock_file}")
        return "\n".join(lines)


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _secret(env: Mapping[str, str], name: str) -> str | None:
    """A token or secret; an example value left in place (`xoxb-your-bot-token`) is refused.

    Raises SettingsError naming the variable and where its real value comes from. The
    placeholder is quoted back; a real secret never is.
    """
    value = _get(env, name)
    if value is not None and PLACEHOLDER.search(value):
        raise SettingsError(
            f"{name} still holds the example value {value!r}: replace it with {WHERE_FROM[name]}"
        )
    return value


def _token(env: Mapping[str, str], name: str, prefix: str, required: bool) -> str | None:
    value = _secret(env, name)
    if value is None:
        if required:
            raise SettingsError(f"{name} is required (a {prefix}… token from your Slack app)")
        return None
    if not value.startswith(prefix):
        raise SettingsError(f"{name} must start with {prefix}")
    return value


def _api_url(env: Mapping[str, str], name: str = "SLACK_API_URL") -> str | None:
    value = _get(env, name)
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"{name}: {value!r} is not an http(s) URL")
    return value if value.endswith("/") else value + "/"


def normalize_database_url(value: str) -> str:
    """Accept the `postgres://` URLs hosting platforms hand out; we ship psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix) :]
    return value


def _database_url(env: Mapping[str, str]) -> str:
    value = normalize_database_url(_get(env, "DATABASE_URL") or DEFAULT_DATABASE_URL)
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise SettingsError(
            "DATABASE_URL: not a database URL (e.g. sqlite:///savedesk.db or "
            "postgresql+psycopg://user@host/db)"
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        backend = url.get_backend_name()
        raise SettingsError(
            f"DATABASE_URL: {backend!r} is not supported (use sqlite or postgresql)"
        )
    try:
        url.get_dialect()
    except NoSuchModuleError:
        raise SettingsError(
            f"DATABASE_URL: driver {url.drivername!r} is not installed (use postgresql+psycopg)"
        ) from None
    return value


def _port(env: Mapping[str, str], name: str = "PORT") -> int:
    value = _get(env, name) or "3000"
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SettingsError(f"{name}: {value!r} is not a port number (1-65535)")
    return int(value)


def _host(env: Mapping[str, str]) -> str:
    """An IP address or a host name to bind; IPv6 may be written in brackets ([::1])."""
    value = _get(env, "HOST") or DEFAULT_HOST
    bare = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    numeric = bare.rstrip(".").rsplit(".", 1)[-1].isdigit()  # a mistyped IP, not a name
    if len(bare) > 253 or not HOSTNAME.fullmatch(bare) or numeric:
        raise SettingsError(
            f"HOST: {value!r} is not an address to listen on (e.g. 0.0.0.0, 127.0.0.1, ::)"
        )
    return bare


def _count(env: Mapping[str, str], name: str, default: int, most: int, least: int = 1) -> int:
    value = _get(env, name) or str(default)
    if not (value.isascii() and value.isdigit()) or not least <= int(value) <= most:
        raise SettingsError(f"{name}: {value!r} is not a whole number from {least} to {most}")
    return int(value)


def _log_level(env: Mapping[str, str]) -> str:
    value = (_get(env, "LOG_LEVEL") or "INFO").upper()
    if value not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL: {value!r} is not one of {', '.join(LOG_LEVELS)}")
    return value


def example_values(env: Mapping[str, str]) -> dict[str, str]:
    """Each token or secret still holding an example value (`xoxb-your-bot-token`, as
    `.env.example` ships) → the line saying what to put there instead. `check` lists these
    as problems, like a missing setting, rather than stopping at the first."""
    found = {}
    for name in WHERE_FROM:
        try:
            _secret(env, name)
        except SettingsError as err:
            found[name] = str(err)
    return found


def missing_settings(env: Mapping[str, str]) -> list[str]:
    """The required settings that are absent, one line each naming the variable and where its
    value comes from (what `check` lists as problems; `load_settings` raises the first)."""
    missing = []
    oauth = _get(env, "SLACK_CLIENT_ID") and _get(env, "SLACK_CLIENT_SECRET")
    if _get(env, "SLACK_BOT_TOKEN") is None and not oauth:
        missing.append(
            "SLACK_BOT_TOKEN is required (a xoxb-… token from your Slack app), unless "
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET turn on OAuth installs"
        )
    if _get(env, "SLACK_SIGNING_SECRET") is None and _get(env, "SLACK_APP_TOKEN") is None:
        missing.append(
            "SLACK_SIGNING_SECRET is required (from your Slack app's Basic Information), "
            "unless SLACK_APP_TOKEN enables Socket Mode"
        )
    return missing


def load_settings(env: Mapping[str, str], *, require: bool = True) -> Settings:
    """Validate the environment; raise SettingsError naming the first bad variable.

    `require=False` (for `check`) lets the required secrets be absent, so the rest can be
    read and `missing_settings` lists them; a malformed value still raises.
    """
    client_id, client_secret = _get(env, "SLACK_CLIENT_ID"), _secret(env, "SLACK_CLIENT_SECRET")
    oauth = bool(client_id and client_secret)
    bot_token = _token(env, "SLACK_BOT_TOKEN", "xoxb-", required=require and not oauth) or ""
    app_token = _token(env, "SLACK_APP_TOKEN", "xapp-", required=False)
    signing_secret = _secret(env, "SLACK_SIGNING_SECRET")
    if require and signing_secret is None and app_token is None:
        raise SettingsError(missing_settings(env)[-1])
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=_api_url(env),
        database_url=_database_url(env),
        policy_file=Path(_get(env, "POLICY_FILE") or "policy.toml"),
        policy_file_named=_get(env, "POLICY_FILE") is not None,
        stripe_webhook_secret=_secret(env, "STRIPE_WEBHOOK_SECRET"),
        signals_webhook_secret=_secret(env, "SIGNALS_WEBHOOK_SECRET"),
        port=_port(env),
        log_level=_log_level(env),
        web_threads=_count(env, "WEB_THREADS", DEFAULT_WEB_THREADS, 256),
        database_pool_size=_count(env, "DATABASE_POOL_SIZE", DEFAULT_POOL_SIZE, 1000),
        job_threads=_count(env, "JOB_THREADS", DEFAULT_JOB_THREADS, 64),
        job_processes=_count(env, "JOB_PROCESSES", DEFAULT_JOB_PROCESSES, 16, least=0),
        health_port=_port(env, "HEALTH_PORT") if _get(env, "HEALTH_PORT") else None,
        host=_host(env),
        test_clock_file=_optional_path(env, "SAVEDESK_TEST_CLOCK_FILE"),
        stripe_api_key=_secret(env, "STRIPE_API_KEY"),
        stripe_api_base=_api_url(env, "STRIPE_API_BASE"),
        hubspot_access_token=_secret(env, "HUBSPOT_ACCESS_TOKEN"),
        hubspot_api_base=_api_url(env, "HUBSPOT_API_BASE"),
        webhook_deliveries_keep=_keep(env, "WEBHOOK_DELIVERIES_KEEP", DEFAULT_WEBHOOK_KEEP),
        slack_client_id=client_id,
        slack_client_secret=client_secret,
    )


def _keep(env: Mapping[str, str], name: str, default: str) -> timedelta:
    """A retention: a duration of at least an hour ("30d", "2w")."""
    value = _get(env, name) or default
    try:
        keep = parse_duration(value)
    except ValueError:
        raise SettingsError(f"{name}: {value!r} is not a duration ({DURATION_HINT})") from None
    if keep < timedelta(hours=1):
        raise SettingsError(f"{name}: {value!r} is shorter than an hour")
    return keep


def _optional_path(env: Mapping[str, str], name: str) -> Path | None:
    value = _get(env, name)
    return Path(value) if value else None


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    guard_handlers()  # secrets never in the log, DEBUG included (bot/runtime/redact.py)
    if level != "DEBUG":  # every job run, every skipped overlap, every migration check
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("matplotlib").setLevel(logging.WARNING)  # its font cache, once
