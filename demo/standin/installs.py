"""Installing the app, as Slack does it: the authorize page, `oauth.v2.access` (the
authorization code grant and the refresh token grant), tokens that belong to one
installation (a workspace, or a whole Enterprise Grid organisation), expire when rotation
is on, and stop working when the app is uninstalled.

Shapes and error codes are Slack's: https://api.slack.com/methods/oauth.v2.access,
https://api.slack.com/authentication/rotation, https://api.slack.com/enterprise/apps/reference.
A code is good once, for 10 minutes; a refresh token is good once (each refresh hands out
the next one), which is the strictest reading of Slack's rotation and the one that makes a
careless double refresh fail.
"""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import parse_qs, urlencode, urlsplit

from demo.standin.records import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, TEAM_NAME, HttpReply
from demo.standin.refusals import CHANNEL_METHODS
from demo.standin.scopes import ORG_NEEDS_TEAM, SCOPE_BY_KIND, SCOPE_NEEDED
from demo.standin.validation import Args, Reply, SlackError, require, truthy

CODE_LIFETIME = 600.0  # seconds an authorization code is good for
DEFAULT_TOKEN_LIFETIME = 43_200  # Slack's rotating tokens last 12 hours
DEFAULT_SCOPES = "commands,chat:write"


@dataclass
class Installer:
    """Who clicks "Allow" on the next authorize page, and for what: one workspace
    (`team_id`), or a whole organisation (`enterprise_id` with `org_wide`)."""

    user_id: str = "U0ADMIN"
    team_id: str | None = TEAM_ID
    team_name: str = TEAM_NAME
    enterprise_id: str | None = None
    enterprise_name: str = "Test Org"
    org_wide: bool = False


@dataclass
class Installation:
    """One installation at Slack: its bot token (and refresh token when rotating)."""

    installer: Installer
    scopes: str
    bot_token: str
    refresh_token: str | None = None
    expires_at: float | None = None  # token_clock seconds
    revoked: bool = False
    old_tokens: list[str] = field(default_factory=list)  # valid until their own expiry

    @property
    def key(self) -> tuple[str | None, str | None]:
        inst = self.installer
        return (inst.enterprise_id, None if inst.org_wide else inst.team_id)


@dataclass
class _Code:
    installer: Installer
    scopes: str
    redirect_uri: str | None
    issued: float
    used: bool = False


class InstallMethods:
    """Mixin of SlackStandin: the app's credentials, installations and their tokens."""

    _lock: threading.RLock

    def _reset_installs(self) -> None:
        self.client_id: str | None = None
        self.client_secret: str | None = None
        self.redirect_url: str | None = None
        self.rotation = False
        self.token_lifetime = DEFAULT_TOKEN_LIFETIME
        self.token_clock: Callable[[], float] = time.time
        self.strict_tokens = False
        self.next_installer = Installer()
        self._codes: dict[str, _Code] = {}
        self._installations: dict[tuple[str | None, str | None], Installation] = {}
        self._by_token: dict[str, tuple[Installation, float | None]] = {}
        self._by_refresh: dict[str, Installation] = {}
        self._serial = itertools.count(1)
        self._placed: dict[str, str] = {}  # channel -> the workspace it belongs to

    # -- scripting -------------------------------------------------------------------------

    def register_app(
        self,
        client_id: str,
        client_secret: str,
        *,
        rotation: bool = False,
        token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
        strict_tokens: bool = True,
        redirect_url: str | None = None,
    ) -> None:
        """The app's credentials (Basic Information) and Redirect URL (OAuth & Permissions);
        `rotation`: token rotation is on, so bot tokens expire after `token_lifetime`
        seconds; `strict_tokens`: only tokens this stand-in issued are accepted."""
        with self._lock:
            self.client_id, self.client_secret = client_id, client_secret
            self.redirect_url = redirect_url
            self.rotation, self.token_lifetime = rotation, token_lifetime
            self.strict_tokens = strict_tokens

    def uninstall(self, enterprise_id: str | None = None, team_id: str | None = None) -> None:
        """An admin removed the app: every token of that installation answers
        token_revoked from now on (the app_uninstalled event is the sender's to send)."""
        with self._lock:
            for inst in self._installations.values():
                if inst.key in ((enterprise_id, team_id), (enterprise_id, None)):
                    inst.revoked = True

    def place_channel(self, channel: str, team_id: str) -> None:
        """`channel` belongs to workspace `team_id` of the organisation: a workspace
        installation elsewhere gets channel_not_found there; an org-wide one reaches it."""
        with self._lock:
            self._placed[channel] = team_id

    def installation(
        self, enterprise_id: str | None = None, team_id: str | None = None
    ) -> Installation | None:
        with self._lock:
            return self._installations.get((enterprise_id, team_id))

    # -- the authorize page ----------------------------------------------------------------

    def _authorize_page(self, query: str) -> HttpReply:
        """GET /oauth/v2/authorize: the installer approves at once and is sent back to the
        app's redirect URI with `code` and `state` (or `error=invalid_client_id`)."""
        params = {k: v[0] for k, v in parse_qs(query).items()}
        redirect = params.get("redirect_uri") or self.redirect_url
        if not redirect:  # Slack has nowhere to send the installer back to either
            return HttpReply.of_text(
                400, "redirect_uri missing, and the app has no Redirect URL configured"
            )
        if not redirect_allowed(redirect, self.redirect_url):
            return HttpReply.of_text(
                400, f"bad_redirect_uri: {redirect} is not under the app's {self.redirect_url}"
            )
        with self._lock:
            if params.get("client_id") != self.client_id:
                return _redirect(redirect, {"error": "invalid_client_id"})
            code = f"code-{next(self._serial)}-{time.monotonic_ns()}"
            self._codes[code] = _Code(
                self.next_installer,
                params.get("scope") or DEFAULT_SCOPES,
                redirect,
                time.monotonic(),
            )
        return _redirect(redirect, {"code": code, "state": params.get("state", "")})

    # -- oauth.v2.access -------------------------------------------------------------------

    def _oauth_v2_access(self, args: Args) -> Reply:
        if args.get("client_id") != self.client_id or self.client_id is None:
            raise SlackError("invalid_client_id")
        if args.get("client_secret") != self.client_secret:
            raise SlackError("bad_client_secret")
        if args.get("grant_type") == "refresh_token":
            return self._refresh(args)
        require(args, "code")
        grant = self._codes.get(str(args["code"]))
        if grant is None or grant.used or time.monotonic() - grant.issued > CODE_LIFETIME:
            raise SlackError("invalid_code")
        if args.get("redirect_uri") and args["redirect_uri"] != grant.redirect_uri:
            raise SlackError("bad_redirect_uri")
        grant.used = True
        return self._install(grant)

    def _install(self, grant: _Code) -> Reply:
        """A new installation, or a reinstall replacing the previous one's tokens."""
        key = (
            grant.installer.enterprise_id,
            None if grant.installer.org_wide else grant.installer.team_id,
        )
        previous = self._installations.get(key)
        if previous is not None:
            previous.revoked = True
        inst = Installation(grant.installer, grant.scopes, "")
        self._installations[key] = inst
        self._issue(inst)
        return self._token_reply(inst) | {
            "authed_user": {"id": grant.installer.user_id},
        }

    def _refresh(self, args: Args) -> Reply:
        require(args, "refresh_token")
        inst = self._by_refresh.pop(str(args["refresh_token"]), None)
        if inst is None or inst.revoked:
            raise SlackError("invalid_refresh_token")
        self._issue(inst)
        return self._token_reply(inst)

    def _issue(self, inst: Installation) -> None:
        """A fresh bot token (and refresh token when rotating); the previous token keeps
        working until its own expiry, as Slack's do."""
        serial = next(self._serial)
        if self.rotation:
            inst.bot_token = f"xoxe.xoxb-1-{serial}"
            inst.refresh_token = f"xoxe-1-{serial}"
            inst.expires_at = self.token_clock() + self.token_lifetime
            self._by_refresh[inst.refresh_token] = inst
        else:
            inst.bot_token = f"xoxb-{serial}-installed"
        self._by_token[inst.bot_token] = (inst, inst.expires_at)

    def _token_reply(self, inst: Installation) -> Reply:
        who = inst.installer
        reply: Reply = {
            "access_token": inst.bot_token,
            "token_type": "bot",
            "scope": inst.scopes,
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": None if who.org_wide else {"id": who.team_id, "name": who.team_name},
            "enterprise": (
                {"id": who.enterprise_id, "name": who.enterprise_name}
                if who.enterprise_id
                else None
            ),
            "is_enterprise_install": who.org_wide,
        }
        if self.rotation:
            reply["refresh_token"] = inst.refresh_token
            reply["expires_in"] = int((inst.expires_at or 0) - self.token_clock())
        return reply

    # -- every call ------------------------------------------------------------------------

    def _check_installed(self, token: str, method: str, args: Args) -> None:
        """Every check of a call's token: issued and current, granted the method's scope,
        and reaching the call's channel."""
        self._check_installed_token(token)
        self._check_scope(token, method, args)
        self._check_channel_reach(token, method, args)
        found = self._by_token.get(token)
        if found is None:
            return
        if found[0].installer.org_wide and method in ORG_NEEDS_TEAM and not args.get("team_id"):
            raise SlackError("missing_argument")

    def _installed_answer(self, method: str, token: str | None, args: Args) -> Reply | None:
        """What auth.test, auth.teams.list and auth.revoke answer for a token this stand-in
        issued through an install; None for any other call or token."""
        if method == "auth.test":
            return self._installed_auth_test(token)
        if method == "auth.teams.list":
            return self._auth_teams_list(token)
        if method == "auth.revoke":
            return self._auth_revoke(token, args)
        return None

    def _auth_revoke(self, token: str | None, args: Args) -> Reply:
        """auth.revoke (https://api.slack.com/methods/auth.revoke): the calling token answers
        token_revoked to every method from now on, auth.test and auth.revoke included, and so
        do its installation's other tokens and refresh token (revoking a bot token
        deactivates the bot user); with `test`, nothing is revoked. invalid_auth for a token
        never issued through an install."""
        found = self._by_token.get(token or "")
        if found is None:
            raise SlackError("invalid_auth")
        if truthy(args.get("test")):
            return {"revoked": False}
        found[0].revoked = True
        return {"revoked": True}

    def _auth_teams_list(self, token: str | None) -> Reply:
        """auth.teams.list: the workspaces an org-wide installation was added to (those its
        channels and user groups belong to), or a workspace token's own."""
        found = self._by_token.get(token or "")
        who = found[0].installer if found is not None else Installer()
        if not who.org_wide:
            return {"teams": [{"id": who.team_id, "name": who.team_name}]}
        teams = set(self._placed.values())
        teams |= {g["team_id"] for g in getattr(self, "_usergroups", {}).values()}
        return {"teams": [{"id": t, "name": t} for t in sorted(teams)]}

    def _check_scope(self, token: str, method: str, args: Args) -> None:
        """missing_scope for an installed token whose install did not grant what the method
        needs (a token the stand-in did not issue through OAuth has every scope)."""
        found = self._by_token.get(token)
        if found is None:
            return
        needed = SCOPE_NEEDED.get(method)
        kinds = SCOPE_BY_KIND.get(method)
        if kinds is not None:
            needed = kinds.get(str(args.get("channel") or "")[:1])
        granted = {s.strip() for s in found[0].scopes.split(",")}
        if needed is not None and needed not in granted:
            raise SlackError("missing_scope", needed=needed, provided=found[0].scopes)

    def _check_installed_token(self, token: str) -> None:
        """token_revoked for an uninstalled app's token, token_expired past its expiry,
        invalid_auth for a token never issued (with `strict_tokens`)."""
        found = self._by_token.get(token)
        if found is None:
            if self.strict_tokens and not token.startswith("xwfp-"):
                raise SlackError("invalid_auth")
            return
        inst, expires_at = found
        if inst.revoked:
            raise SlackError("token_revoked")
        if expires_at is not None and self.token_clock() >= expires_at:
            raise SlackError("token_expired")

    def _check_channel_reach(self, token: str, method: str, args: Args) -> None:
        """A workspace installation's token sees only its own workspace's channels."""
        name = CHANNEL_METHODS.get(method)
        found = self._by_token.get(token)
        if name is None or found is None or found[0].installer.org_wide:
            return
        placed = self._placed.get(str(args.get(name) or ""))
        if placed is not None and placed != found[0].installer.team_id:
            raise SlackError("channel_not_found")

    def _installed_auth_test(self, token: str | None) -> Reply | None:
        """auth.test for an issued token: the installation it belongs to."""
        found = self._by_token.get(token or "")
        if found is None:
            return None
        who = found[0].installer
        team_id = who.enterprise_id if who.org_wide else who.team_id
        reply: Reply = {
            "url": "https://test.slack.com/",
            "team": who.enterprise_name if who.org_wide else who.team_name,
            "user": "savedesk",
            "team_id": team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": who.org_wide,
        }
        if who.enterprise_id:
            reply["enterprise_id"] = who.enterprise_id
        if found[1] is not None:
            reply["expires_in"] = int(found[1] - self.token_clock())
        return reply


def client_credentials(headers: Message, args: Args) -> Args:
    """`client_id`/`client_secret` from HTTP Basic auth (as slack_sdk sends them) when
    the form does not carry them."""
    scheme, _, encoded = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic" or "client_id" in args:
        return args
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except ValueError:
        return args
    return args | {"client_id": client_id, "client_secret": secret}


def redirect_allowed(asked: str, configured: str | None) -> bool:
    """Slack's rule for the authorize page's `redirect_uri`: optional (the app's Redirect
    URL is used without it), and when given, the configured Redirect URL or a path under it
    on the same scheme, host and port (https://api.slack.com/authentication/oauth-v2,
    "Asking for scopes"). With no Redirect URL configured, any is taken (as the tests'
    stand-ins are scripted)."""
    if configured is None:
        return True
    want, got = urlsplit(configured), urlsplit(asked)
    base = want.path.rstrip("/")
    return (got.scheme, got.netloc) == (want.scheme, want.netloc) and (
        got.path == want.path or got.path.startswith(f"{base}/")
    )


def _redirect(uri: str, params: dict[str, str]) -> HttpReply:
    joiner = "&" if urlsplit(uri).query else "?"
    reply = HttpReply.of_text(302, "")
    reply.headers["Location"] = f"{uri}{joiner}{urlencode(params)}"
    return reply
