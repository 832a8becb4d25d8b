"""`python app.py init`: a first-run wizard in the terminal, like `npm init`.

It asks for the cases channel, the people in each role, the currency and the time zone
(and the Slack secrets, which may wait), then writes `policy.toml` and `.env` in the
current folder, never replacing a file without asking; with a host it also writes the Slack
app manifest. Answers are read line by line from stdin, so it runs without a terminal too
(scripts, tests); a wrong answer is explained and asked again.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

from dotenv import dotenv_values

from bot.policy import PolicyError, parse_policy
from bot.setup import answers as read
from bot.setup.answers import OTHER_CHANNELS, ROLE_QUESTIONS, Answers, BadAnswer
from bot.setup.files import render_env, render_manifest, render_policy

T = TypeVar("T")
MANIFEST_OUT = "slack-manifest.yml"


class NoMoreAnswers(RuntimeError):
    """stdin ended before every question was answered; the message names the question."""


@dataclass
class Terminal:
    """Where questions go and answers come from; secrets are not echoed on a terminal."""

    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)

    def say(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    def line(self, prompt: str, hidden: bool = False) -> str:
        if hidden and self.stdin.isatty():
            return getpass.getpass(prompt, stream=self.stdout)
        self.stdout.write(prompt)
        self.stdout.flush()
        text = self.stdin.readline()
        if not text:
            raise NoMoreAnswers(f"init: no answer to {prompt.strip()!r} (input ended)")
        if not self.stdin.isatty():
            self.stdout.write("\n")  # the answer was not echoed: keep the transcript tidy
        return text.rstrip("\n")

    def ask(
        self, question: str, parse: Callable[[str], T], default: str = "", hidden: bool = False
    ) -> T:
        """Ask until ``parse`` accepts the answer (Enter takes ``default``)."""
        shown = f" [{default}]" if default and not hidden else ""
        while True:
            text = self.line(f"{question}{shown}: ", hidden) or default
            try:
                return parse(text)
            except BadAnswer as bad:
                self.say(f"  ✗ {bad}")


@dataclass(frozen=True)
class Templates:
    """The repository's commented examples the files are made from."""

    policy: Path
    env: Path
    manifest: Path

    @classmethod
    def beside(cls, repo: Path) -> Templates:
        return cls(repo / "policy.example.toml", repo / ".env.example", repo / "manifest.yml")


def interview(term: Terminal, was: Answers | None = None) -> Answers:
    """Every question, in the order a newcomer can answer them; `was` (the existing
    policy.toml and .env) gives each question its default, so running init again is an
    edit: Enter keeps a value, `-` clears an optional one."""
    term.say("Savedesk set-up. Press Enter to take the [default] or skip an optional answer.")
    term.say("Channel IDs are at the bottom of a channel's details in Slack (C0123ABCD).\n")
    if was is None:
        was = Answers()
    else:
        term.say("The [defaults] are the values in your files now; `-` clears an optional one.\n")
    got = Answers()
    got.cases = term.ask("Cases channel ID (one thread per case)", _channel(True), was.cases)
    for key, question in OTHER_CHANNELS:
        got.channels[key] = term.ask(
            f"{question}, optional", _cleared(_channel(False), ""), was.channels.get(key, "")
        )
    term.say("\nPeople: Slack user IDs (U0123ABCD), emails or @groups, comma-separated.")
    for role, question in ROLE_QUESTIONS:
        current = ", ".join(was.roles.get(role, []))
        got.roles[role] = term.ask(question, _cleared(read.people, []), current)
    term.say("")
    got.currency = term.ask("Currency of your accounts (ISO 4217)", read.currency, was.currency)
    got.timezone = term.ask("Time zone for business hours", read.timezone, was.timezone)
    term.say("\nFrom your Slack app (api.slack.com/apps); Enter to fill in .env later.")
    token = read.secret("xoxb-", "a bot token")
    got.bot_token = term.ask(
        _kept("Bot token (xoxb-…)", was.bot_token), token, was.bot_token, hidden=True
    )
    signing = read.secret("", "the signing secret")
    got.signing_secret = term.ask(
        _kept("Signing secret", was.signing_secret), signing, was.signing_secret, hidden=True
    )
    return got


def _kept(question: str, current: str) -> str:
    return f"{question} (Enter keeps the one in .env)" if current else question


def _cleared(parse: Callable[[str], T], empty: T) -> Callable[[str], T]:
    """`-` answers "none" to an optional question whose default is a value."""
    return lambda text: empty if text.strip() == "-" else parse(text)


def _channel(required: bool) -> Callable[[str], str]:
    return lambda text: read.channel(text, required=required)


ELSEWHERE = {
    "policy.toml": "policy.new.toml",
    ".env": ".env.new",
    MANIFEST_OUT: "slack-manifest.new.yml",
}
"""Where the answers go when the person keeps the file that is there."""


def destination(term: Terminal, path: Path) -> Path:
    """Where `path`'s new text will be written, asked before any question so no answer is
    lost: `path` itself if it is not there or the person says yes, else its ELSEWHERE name
    beside it (Enter is no)."""
    if not path.exists():
        return path
    if term.ask(f"{path.name} exists. Replace it? [y/N]", read.yes_no(False)):
        return path
    other = path.with_name(ELSEWHERE[path.name])
    term.say(f"  {path.name} stays as it is; this run writes {other.name} instead")
    return other


def write(term: Terminal, path: Path, text: str) -> None:
    """Write ``path``; `.env` (secrets) is readable by this user only before it holds any."""
    if path.name.startswith(".env"):
        path.touch(mode=0o600)
        path.chmod(0o600)
    path.write_text(text, encoding="utf-8")
    term.say(f"  wrote {path}")


def run(term: Terminal, folder: Path, templates: Templates, origin: str | None) -> list[Path]:
    """Ask where each file goes (replace one that is there, or write beside it), interview
    with the existing files' values as defaults, then write; returns the paths written."""
    names = ["policy.toml", ".env", *([MANIFEST_OUT] if origin else [])]
    # Every "Replace it?" is answered before any question or write: no answer is thrown
    # away at the end, and a Ctrl-C leaves the folder as it was.
    where = {name: destination(term, folder / name) for name in names}
    if any(path.name != name for name, path in where.items()):
        term.say("")
    got = interview(term, existing_answers(folder))
    term.say("")
    texts = {
        "policy.toml": render_policy(templates.policy.read_text("utf-8"), got),
        ".env": render_env(templates.env.read_text("utf-8"), got),
    }
    if origin:
        texts[MANIFEST_OUT] = render_manifest(templates.manifest.read_text("utf-8"), origin)
    for name, text in texts.items():
        write(term, where[name], text)
    kept = [p.name for n, p in where.items() if p.name != n and n != MANIFEST_OUT]
    if kept:
        term.say(
            f"Compare {' and '.join(kept)} with what you have, then rename "
            f"{'them' if len(kept) > 1 else 'it'} over it (`check` below reads the files "
            "you kept)."
        )
    if origin:
        term.say(
            f"Create the Slack app from {where[MANIFEST_OUT].name}: api.slack.com/apps → "
            "Create New App → From a manifest."
        )
    return list(where.values())


def existing_answers(folder: Path) -> Answers | None:
    """The values of the `policy.toml` and `.env` in `folder` as answers (None when neither
    is there): each question's default. A policy that does not parse, or an example
    secret, gives no default (docs/cli.md, *Commands*)."""
    policy_path, env_path = folder / "policy.toml", folder / ".env"
    if not policy_path.exists() and not env_path.exists():
        return None
    was = Answers()
    try:
        policy = parse_policy(policy_path.read_text("utf-8"), "policy.toml")
    except (OSError, PolicyError):
        policy = None
    if policy is not None:
        channels = vars(policy.channels)
        was.cases = channels.get("cases") or ""
        was.channels = {key: channels.get(key) or "" for key, _ in OTHER_CHANNELS}
        was.roles = {role: list(policy.roles.get(role, ())) for role, _ in ROLE_QUESTIONS}
        was.currency, was.timezone = policy.currency, policy.timezone.key
    values = dotenv_values(env_path) if env_path.exists() else {}
    was.bot_token = _usable(values.get("SLACK_BOT_TOKEN"), read.secret("xoxb-", "a bot token"))
    was.signing_secret = _usable(
        values.get("SLACK_SIGNING_SECRET"), read.secret("", "the signing secret")
    )
    return was


def _usable(value: str | None, parse: Callable[[str], str]) -> str:
    """`value` when the question would accept it (not an example value), else ""."""
    try:
        return parse(value or "")
    except BadAnswer:
        return ""
