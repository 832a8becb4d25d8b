"""Savedesk in OAuth mode over real HTTP, with the Slack stand-in as the app's Slack: the
install goes through the browser's steps (Savedesk's install page, Slack's authorize page,
back to Savedesk's redirect URL, with the state cookie), as an admin's browser would."""

from __future__ import annotations

import contextlib
import html
import http.cookiejar
import re
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from waitress.server import create_server

from bot.common.clock import FakeClock
from bot.policy import Policy
from bot.runtime.jobs import JobLoop
from bot.runtime.services import Services
from bot.runtime.settings import Settings, load_settings
from demo.standin import SlackStandin
from demo.standin.installs import Installer
from demo.standin.sender import SlackSender
from handlers.slack_app import build_bolt_app
from handlers.web import create_web_app
from tests.conftest import (
    PATIENT_SECONDS,
    SIGNING_SECRET,
    RunningApp,
    patient,
    serve_until_closed,
    stop_server,
    unpaced,
)
from wiring import build_services

CLIENT_ID, CLIENT_SECRET = "1111.2222", "test-client-secret"


def oauth_settings(db_url: str, standin: SlackStandin, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": db_url,
            "POLICY_FILE": str(tmp_path / "policy.toml"),
        }
    )


def oauth_services(settings: Settings, policy: Policy, clock: FakeClock) -> Services:
    """Another process's services on the same database (a worker beside the web)."""
    return unpaced(build_services(settings, policy, clock))


@contextlib.contextmanager
def serve_oauth(services: Services, standin: SlackStandin) -> Iterator[RunningApp]:
    """The web server (Bolt with its OAuth flow) and a job loop, as `running_app` does."""
    bolt = build_bolt_app(services)
    patient(bolt)
    server = create_server(
        create_web_app(services, bolt), host="127.0.0.1", port=0, threads=4,
        asyncore_loop_timeout=0.05,
    )  # fmt: skip
    thread = threading.Thread(target=serve_until_closed, args=(server,), daemon=True)
    thread.start()
    jobs = JobLoop(services.jobs, services.health, threads=2, poll=0.05)
    jobs.start()
    base_url = f"http://127.0.0.1:{server.effective_port}"
    standin.register_app(
        CLIENT_ID,
        CLIENT_SECRET,
        rotation=standin.rotation,
        token_lifetime=standin.token_lifetime,
        redirect_url=f"{base_url}/slack/oauth_redirect",
    )
    try:
        sender = SlackSender(
            base_url,
            SIGNING_SECRET,
            response_url_factory=standin.new_response_url,
            timeout=PATIENT_SECONDS + 10,
        )
        yield RunningApp(services, standin, sender, base_url, bolt)
    finally:
        jobs.stop(timeout=5)
        stop_server(server, thread)


class LocalhostIsSecure(http.cookiejar.DefaultCookiePolicy):
    """Browsers send `Secure` cookies (Bolt's state cookie is one) to http://localhost, a
    secure context; urllib does not, unless told."""

    def return_ok_secure(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return True


@dataclass
class Installed:
    status: int
    page: str


def install(app: RunningApp, installer: Installer | None = None) -> Installed:
    """An admin opens /slack/install, clicks "Add to Slack", approves on Slack's page and
    comes back to /slack/oauth_redirect (cookies kept, redirects followed)."""
    if installer is not None:
        app.standin.next_installer = installer
    jar = http.cookiejar.CookieJar(policy=LocalhostIsSecure())
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with browser.open(f"{app.base_url}/slack/install", timeout=10) as page:
        body = page.read().decode()
    link = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', body)
    assert link is not None, body
    with browser.open(html.unescape(link.group(1)), timeout=10) as landed:
        return Installed(landed.status, landed.read().decode())


def sender_for(
    app: RunningApp, team_id: str, enterprise_id: str | None, org_wide: bool
) -> SlackSender:
    """Requests from another workspace (of the same Enterprise Grid organisation)."""
    return SlackSender(
        app.base_url,
        SIGNING_SECRET,
        response_url_factory=app.standin.new_response_url,
        team_id=team_id,
        enterprise_id=enterprise_id,
        org_wide=org_wide,
    )
