"""OAuth mode (docs/slack-admin.md): Bolt's install flow, slack_sdk's SQLAlchemy stores in
Savedesk's database, and a bot token that is always current for every Slack call, in Bolt's
listeners and outside them (the outbox deliverer, the scheduler, the job worker).

With token rotation on, Slack's bot tokens last 12 hours and each refresh hands out the
next refresh token (https://api.slack.com/authentication/rotation). `TokenSource` refreshes
`REFRESH_BEFORE` ahead of expiry, holding the installation's row lock while it asks Slack,
so that when several processes notice at once only one spends the refresh token and the
others read what it stored. Expiry is judged on the injected clock (slack_sdk's
TokenRotator reads the system clock, so it is not used).
"""

from __future__ import annotations

import html
import logging
import threading
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

from slack_bolt import BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.error import BoltError
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.web import SlackResponse

from bot.common.clock import Clock
from bot.runtime.installs import Installs
from bot.runtime.settings import Settings
from storage import installs as store
from storage.db import Database
from storage.installs import BotRow

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
REFRESH_BEFORE = timedelta(minutes=30)  # well inside a 12-hour token, beyond any call
CACHE_SECONDS = 30.0  # re-read the row this often: another process may have refreshed
STATE_SECONDS = 600  # an install link is good for 10 minutes
BOT_SCOPES = (  # manifest.yml's bot scopes; docs/slack-admin.md says why each
    "channels:history",
    "channels:read",
    "chat:write",
    "chat:write.public",
    "channels:join",
    "commands",
    "files:write",
    "groups:history",
    "groups:read",
    "im:history",
    "im:write",
    "usergroups:read",
    "users:read",
    "users:read.email",
)
NOT_INSTALLED = "app_uninstalled"  # what a call answers while no installation has a token
REPLACED = ("token_revoked", "invalid_auth")  # the cached token may be an older install's


class NotInstalled(Exception):
    """No installation holds a bot token (never installed, or removed)."""


class TokenSource:
    """The deployment's current bot token, refreshed before it expires."""

    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        """Hear of removals and reinstalls with `Installs(changed=[forget_cached])`."""
        self.client_id = settings.slack_client_id or ""
        self._secret = settings.slack_client_secret or ""
        self.clock = clock
        self.db = db
        self._oauth = WebClient(base_url=settings.slack_api_url or DEFAULT_API_URL, timeout=10)
        self._oauth.retry_handlers.clear()
        self._cached: BotRow | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def forget_cached(self) -> None:
        """An installation changed (removed, installed again): read it afresh."""
        self._cached, self._read_at = None, 0.0

    def bot(self, expired: str | None = None) -> BotRow:
        """The installation's bot with a token that is not about to expire (nor the
        `expired` one, which Slack just refused as token_expired: its clock and ours may
        differ). Raises NotInstalled, SlackApiError (Slack refused the refresh) or OSError."""
        bot = self._current()
        stale = expired is not None and bot.bot_token == expired
        if not (stale or self._due(bot)):
            return bot
        if self.db.writing():
            return bot  # still valid for REFRESH_BEFORE; refreshed outside the unit of work
        return self._refresh(bot, expired)

    def token(self, expired: str | None = None) -> str:
        return self.bot(expired).bot_token

    def _current(self) -> BotRow:
        cached = self._cached
        if cached is not None and time.monotonic() - self._read_at < CACHE_SECONDS:
            return cached
        with self.db.read() as session:
            found = store.latest_bot(session, self.client_id)
        if found is None:
            self.forget_cached()
            raise NotInstalled()
        self._cached, self._read_at = found, time.monotonic()
        return found

    def _due(self, bot: BotRow) -> bool:
        return bot.expires_at is not None and bot.expires_at - self.clock.now() <= REFRESH_BEFORE

    def _refresh(self, seen: BotRow, expired: str | None) -> BotRow:
        with self._lock, self.db.session() as session:
            bot = store.lock_bot(session, seen.id)
            if bot is None:
                raise NotInstalled()
            stale = expired is not None and bot.bot_token == expired
            if not (stale or self._due(bot)) or not bot.refresh_token:
                fresh = bot  # another process refreshed it while we waited for the lock
            else:
                answer = self._oauth.oauth_v2_access(
                    client_id=self.client_id,
                    client_secret=self._secret,
                    grant_type="refresh_token",
                    refresh_token=bot.refresh_token,
                )
                expires = self.clock.now() + timedelta(seconds=int(answer["expires_in"]))
                token, refresh = str(answer["access_token"]), str(answer["refresh_token"])
                store.store_refreshed(session, bot, token, refresh, expires)
                fresh = replace(bot, bot_token=token, refresh_token=refresh, expires_at=expires)
                log.info("Slack bot token refreshed; good until %s", expires.isoformat())
        self._cached, self._read_at = fresh, time.monotonic()
        return fresh


def _refused(client: WebClient, method: str, error: str) -> SlackApiError:
    """The error a call gets without sending it, shaped as Slack's own refusals."""
    response = SlackResponse(
        client=client,
        http_verb="POST",
        api_url=urljoin(client.base_url, method),
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=200,
    )
    return SlackApiError(f"{method}: {error}", response)


class RotatingClient(WebClient):
    """A WebClient that takes the current bot token from a `TokenSource` on every call
    (unless the call names its own token, or is the OAuth exchange itself)."""

    def __init__(self, tokens: TokenSource, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokens = tokens

    def for_request(self, team_id: str | None) -> RotatingClient:
        """A client for one Bolt request, as Bolt makes its own per request (its `team_id`
        the default of methods an org-wide token must name a workspace for), but taking
        the current token on every call: Bolt's holds the one authorized at the start."""
        return RotatingClient(
            self.tokens,
            base_url=self.base_url,
            timeout=self.timeout,
            team_id=team_id,
            logger=self._logger,
            retry_handlers=list(self.retry_handlers),
        )

    def api_call(self, api_method: str, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("auth") is not None or _names_token(kwargs):
            return super().api_call(api_method, **kwargs)
        token = self._token(api_method, None)
        try:
            return super().api_call(api_method, **_bearer(kwargs, token))
        except SlackApiError as err:
            error = err.response.get("error")
            if error == "token_expired":
                fresh = self._token(api_method, token)  # refreshed now, whatever our clock says
            elif error in REPLACED:
                self.tokens.forget_cached()  # installed again, seen by another process?
                fresh = self._token(api_method, None)
                if fresh == token:
                    raise
            else:
                raise
        return super().api_call(api_method, **_bearer(kwargs, fresh))

    def _token(self, api_method: str, expired: str | None) -> str:
        try:
            return self.tokens.token(expired)
        except NotInstalled:
            raise _refused(self, api_method, NOT_INSTALLED) from None
        except SlackApiError as err:  # the refresh was refused
            raise _refused(self, api_method, str(err.response.get("error"))) from None


def _bearer(kwargs: dict[str, Any], token: str) -> dict[str, Any]:
    headers = dict(kwargs.get("headers") or {})
    headers["Authorization"] = f"Bearer {token}"
    return kwargs | {"headers": headers}


def _names_token(kwargs: dict[str, Any]) -> bool:
    return any("token" in (kwargs.get(part) or {}) for part in ("params", "json", "data"))


class InstallAuthorize(Authorize):
    """Bolt's authorization from the `TokenSource`: a request from the installed
    organisation (org-wide) or workspace gets the current token; any other, none."""

    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens

    def __call__(
        self,
        *,
        context: Any,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
    ) -> AuthorizeResult | None:
        try:
            bot = self.tokens.bot()
        except (NotInstalled, SlackApiError, OSError) as err:
            log.warning("no Slack token for a request from %s: %r", enterprise_id or team_id, err)
            return None
        if not serves(bot, enterprise_id, team_id):
            log.warning("a request from %s, not the installed %s", team_id, bot.team_id)
            return None
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            user_id=user_id,
        )


def serves(bot: BotRow, enterprise_id: str | None, team_id: str | None) -> bool:
    """An org-wide installation serves every workspace of its organisation; a workspace
    installation serves that workspace."""
    if bot.is_enterprise_install:
        return enterprise_id is not None and enterprise_id == bot.enterprise_id
    return team_id == bot.team_id


class InstallRefused(BoltError):
    """An install that would take the deployment from the company it serves (docs/tenancy.md:
    one company per deployment), or narrow an org-wide install to one workspace."""


def company(enterprise_id: str | None, team_id: str | None) -> str | None:
    """The company an installation belongs to: its Enterprise Grid organisation, or its
    workspace outside Grid."""
    return enterprise_id or team_id


class SavedeskInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, with the token's expiry counted on the injected clock, the
    installation's earlier removal forgotten once it is installed again, and an install
    from another company refused while one is held."""

    def __init__(self, installs: Installs, db: Database, api_url: str = DEFAULT_API_URL) -> None:
        super().__init__(client_id=installs.client_id, engine=db.engine)
        self.installs = installs
        self.db = db
        self.api_url = api_url

    def save(self, installation: Installation) -> None:
        """Raises InstallRefused (a 409 page, `_failed_page`) when the deployment holds
        another company's installation (that company's people would get its cases), or an
        org-wide one this workspace install would narrow to one workspace. Another
        company's token is revoked first, never stored."""
        self._refuse_if_taken(installation)
        expires = installation.bot_token_expires_at
        if expires is not None:
            lifetime = float(expires) - float(installation.installed_at)
            installation.bot_token_expires_at = int(
                self.installs.clock.now().timestamp() + lifetime
            )
        super().save(installation)
        team = None if installation.is_enterprise_install else installation.team_id
        self.installs.installed(installation.enterprise_id, team)

    def _refuse_if_taken(self, installation: Installation) -> None:
        with self.db.read() as session:
            held = store.latest_bot(session, self.client_id)
        if held is None:
            return
        ours = company(held.enterprise_id, held.team_id)
        theirs = company(installation.enterprise_id, installation.team_id)
        if ours != theirs:
            why = f"this Savedesk serves {ours}; remove the app there first"
        elif held.is_enterprise_install and not installation.is_enterprise_install:
            why = (
                f"this Savedesk is installed org-wide for {ours}; add it to workspace "
                f"{installation.team_id} from the organisation's app settings instead"
            )
        else:
            return
        log.warning("an install from %s/%s refused: %s", theirs, installation.team_id, why)
        # Our own workspace (joined an organisation since, or left it): its bot is ours.
        ours_too = installation.team_id is not None and installation.team_id == held.team_id
        if ours != theirs and not ours_too:  # revoking there cannot touch our bot
            revoke_refused(self.api_url, installation)
        raise InstallRefused(why)


def revoke_refused(api_url: str, installation: Installation) -> None:
    """Revoke the tokens Slack issued for a refused install (auth.revoke), so none stays
    valid that nobody holds; if Slack does not answer, say so (the token itself is never
    logged) and refuse all the same."""
    where = installation.enterprise_id or installation.team_id
    for token in (installation.bot_token, installation.user_token):
        if not token:
            continue
        try:
            WebClient(token=token, base_url=api_url, timeout=10).auth_revoke()
        except SlackApiError as err:
            log.warning(
                "the refused install's token from %s could not be revoked (Slack answered %s)",
                where,
                err.response.get("error"),
            )
        except (SlackClientError, OSError) as err:
            log.warning(
                "the refused install's token from %s could not be revoked (Slack not reached: %s)",
                where,
                getattr(err, "reason", None) or type(err).__name__,
            )


def oauth_settings(settings: Settings, installs: Installs, db: Database) -> OAuthSettings:
    """Bolt's OAuth flow at /slack/install and /slack/oauth_redirect, its stores in the
    database (migration 0018_installations), Slack's authorize page beside SLACK_API_URL's host."""
    api = settings.slack_api_url or DEFAULT_API_URL
    return OAuthSettings(
        client_id=installs.client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=SavedeskInstallationStore(installs, db, api),
        installation_store_bot_only=True,
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=db.engine),
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
        authorization_url=urljoin(api, "../oauth/v2/authorize"),
        callback_options=CallbackOptions(success=_installed_page, failure=_failed_page),
    )


def _installed_page(args: SuccessArgs) -> BoltResponse:
    return args.default.success(args)


def _failed_page(args: FailureArgs) -> BoltResponse:
    """Bolt's failure page, or for a refused install, a page saying why (409: the install
    conflicts with the one held)."""
    if not isinstance(args.error, InstallRefused):
        return args.default.failure(args)
    body = (
        "<html><body><h1>Savedesk is installed already</h1>"
        f"<p>{html.escape(str(args.error))}.</p><p>One Savedesk serves one workspace or one "
        "Enterprise Grid organisation (docs: Tenancy).</p></body></html>"
    )
    return BoltResponse(status=409, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
