"""Secrets never reach the log, at DEBUG too (bot/runtime/redact.py): slack_sdk logs whole
`oauth.v2.access` answers at DEBUG, tokens included; the log shows only their prefix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.runtime.redact import redact

ROOT = Path(__file__).resolve().parents[2]
SECRETS = [
    "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp",
    "xoxp-1234567890-0987654321-1234-abcdef0123456789",
    "xoxe.xoxb-1-MS0yLTEyMzQ1Njc4OTAtMDk4NzY1NDMyMQ",
    "xoxe-1-My0xLTEyMzQ1Njc4OTAtMDk4NzY1NDMyMS1hYmNk",
    "xapp-1-A0SAVEDESK-1234567890-abcdef0123456789",
    "sk_" + "live_51H8abcdefGHIJKLmnopQRST",  # split: not a key, only its shape
    "rk_" + "test_51H8abcdefGHIJKLmnopQRST",
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "pat-na1-11111111-2222-3333-4444-555555555555",
]


@pytest.mark.parametrize("secret", SECRETS, ids=lambda s: s[:8])
def test_each_kind_of_secret_is_blanked_after_its_prefix(secret: str) -> None:
    said = redact(f"body: {{'access_token': '{secret}', 'ok': True}}")
    assert secret not in said and secret[:4] in said and "…" in said


def test_words_that_only_look_alike_are_kept() -> None:
    text = "task-123 sk_ xoxb- pat-na1- whsec_ risk_test_case"
    assert redact(text) == text


def test_slack_sdk_debug_lines_of_the_app_hide_the_tokens() -> None:
    """As `python app.py` configures it: LOG_LEVEL=DEBUG, slack_sdk's own logger."""
    token, refresh = SECRETS[0], SECRETS[3]
    script = (
        "import logging; from bot.runtime.settings import configure_logging\n"
        "configure_logging('DEBUG')\n"
        "log = logging.getLogger('slack_sdk.web.base_client')\n"
        "log.debug('Received the following response - status: 200, body: %s',\n"
        f"          {{'ok': True, 'access_token': {token!r}, 'refresh_token': {refresh!r}}})\n"
        "try:\n"
        f"    raise RuntimeError('refused ' + {token!r})\n"
        "except RuntimeError:\n"
        "    log.exception('call failed')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Received the following response" in done.stderr and "xoxb-…" in done.stderr
    assert token not in done.stderr and refresh not in done.stderr
