"""The files the first-run wizard writes, made from the repository's own commented
examples (`policy.example.toml`, `.env.example`, `manifest.yml`) so every explanation in
them stays: only the values asked for are changed.

The example's sample IDs elsewhere (watched channels, integration bots, root-cause owners)
are replaced too, so the new policy names nobody who is not in the workspace.
"""

from __future__ import annotations

import json
import re

from bot.policy import parse_policy
from bot.setup.answers import Answers

_ASSIGNMENT = re.compile(r"^(?P<key>[a-z_]+)(?P<eq>\s*=\s*)(?P<value>.*?)(?P<comment>\s+#.*)?$")
_HEADER = re.compile(r"^\s*\[\[?(?P<name>[a-z_.]+)\]\]?")
_PLACEHOLDER_HOST = "https://YOUR-HOST"


def _toml(value: str | list[str]) -> str:
    return json.dumps(value)  # a TOML basic string or array of them: JSON's escapes are TOML's


def render_policy(example: str, answers: Answers) -> str:
    """`policy.example.toml` with the answers in place; raises PolicyError if the result
    does not parse (a bug here, never a bad answer: answers are checked when typed)."""
    reason_owner = answers.channels.get("reports") or answers.cases
    top = {"timezone": _toml(answers.timezone), "currency": _toml(answers.currency)}
    channels = {"cases": answers.cases, **answers.channels}
    section, lines = "", []
    for line in example.splitlines():
        if header := _HEADER.match(line):
            section = header.group("name")
        match = _ASSIGNMENT.match(line)
        if match is None:
            lines.append(line)
            continue
        key, value = match.group("key"), None
        if section == "" and key in top:
            value = top[key]
        elif section == "channels" and key in channels:
            if not channels[key]:
                lines.append(f"# {line}  (not set yet)")
                continue
            value = _toml(channels[key])
        elif section == "roles":
            value = _toml(answers.roles.get(key, []))
        elif section == "signals" and key in ("watch_channels", "bots"):
            value = "[]"
        elif section == "survey.reasons" and key == "owner":
            value = _toml(reason_owner)
        if value is not None:
            line = _keep_comment_column(line, f"{key}{match.group('eq')}{value}", match)
        lines.append(line)
    text = "\n".join(lines) + "\n"
    text = text.replace(
        "# Root causes of a loss:",
        "# Every root cause is reported to the channel set up first; give each its owner.\n"
        "# Root causes of a loss:",
        1,
    )
    parse_policy(text, "policy.toml")
    return text


def _keep_comment_column(old: str, assignment: str, match: re.Match[str]) -> str:
    comment = match.group("comment")
    if not comment:
        return assignment
    column = len(old) - len(comment.lstrip())
    return f"{assignment.ljust(column - 1)} {comment.lstrip()}"


ENV_HEADER = (
    "# Savedesk settings, written by `python app.py init`; variables already set in the\n"
    "# environment win. What each one is: .env.example and docs/configuration.md."
)


def render_env(example: str, answers: Answers) -> str:
    """`.env.example` with the Slack secrets given; a secret not given yet stays a
    commented line, so `check` lists it as missing rather than refusing a placeholder."""
    given = {"SLACK_BOT_TOKEN": answers.bot_token, "SLACK_SIGNING_SECRET": answers.signing_secret}
    lines = [ENV_HEADER]
    example_lines = example.splitlines()
    start = next((i for i, line in enumerate(example_lines) if not line.startswith("#")), 0)
    for line in example_lines[start:]:  # the example's header says "Copy to .env": done
        name = line.partition("=")[0]
        if name in given:
            line = f"{name}={given[name]}" if given[name] else f"# {line}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def render_manifest(manifest: str, origin: str) -> str:
    """`manifest.yml` with every request URL on ``origin`` (`https://HOST`)."""
    lines = manifest.splitlines()
    first = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    body = "\n".join(lines[first:]).replace(_PLACEHOLDER_HOST, origin)  # the header said
    return (  # "replace every YOUR-HOST": done, so it is replaced by what to do next
        f"# Slack app manifest for Savedesk at {origin} (`python app.py init --manifest`).\n"
        "# Create the app at https://api.slack.com/apps -> Create New App -> From a manifest,\n"
        "# paste this file, install it, then put the Bot User OAuth Token in SLACK_BOT_TOKEN\n"
        f"# and the Signing Secret in SLACK_SIGNING_SECRET.\n{body}\n"
    )
