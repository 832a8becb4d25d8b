"""Who the bot is, for Bolt's authorization step, without a Slack call per request.

Bolt's single-workspace authorization calls `auth.test` on the first request and fails
the request if Slack is unreachable. Savedesk must still acknowledge commands while Slack
is down (messages wait in the outbox), so the identity is fetched when Slack answers and
reused; until then a request carries just the token.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)
RETRY_SECONDS = 60
AUTH_TEST_TIMEOUT = 2


class BotIdentity:
    def __init__(self, client: WebClient, token: str) -> None:
        self._client = WebClient(token=token, base_url=client.base_url, timeout=AUTH_TEST_TIMEOUT)
        self._client.retry_handlers.clear()
        self._token = token
        self._result: Any = None
        self._next_try = 0.0
        self._lock = threading.Lock()

    def remember(self, auth_test: Any) -> None:
        """Use an auth.test answer obtained elsewhere (the start-up check)."""
        self._result = auth_test

    def authorize_function(self) -> Callable[..., AuthorizeResult]:
        """Bolt's `authorize`: a plain function, as Bolt passes arguments by their names."""

        def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
            auth = self._auth_test()
            if auth is None:
                return AuthorizeResult(
                    enterprise_id=enterprise_id, team_id=team_id, bot_token=self._token
                )
            return AuthorizeResult.from_auth_test_response(
                bot_token=self._token, auth_test_response=auth
            )

        return authorize

    def _auth_test(self) -> Any:
        with self._lock:
            if self._result is not None or time.monotonic() < self._next_try:
                return self._result
            try:
                self._result = self._client.auth_test()
            except (SlackApiError, OSError) as err:
                log.warning("auth.test failed (%s); retrying in %ss", err, RETRY_SECONDS)
                self._next_try = time.monotonic() + RETRY_SECONDS
            return self._result
