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


def interview(term: Terminal) -> Answers:
    """Every question, in the order a newcomer can answer them."""
    term.say("Savedesk set-up. Press Enter to take the [default] or skip an optional answer.")
    term.say("Channel IDs are at the bottom of a channel's details in Slack (C0123ABCD).\n")
    got = Answers()
    got.cases = term.ask("Cases channel ID (one thread per case)", _channel(True))
    for key, question in OTHER_CHANNELS:
        got.channels[key] = term.ask(f"{question}, optional", _channel(False))
    term.say("\nPeople: Slack user IDs (U0123ABCD), emails or @groups, comma-separated.")
    for role, question in ROLE_QUESTIONS:
        got.roles[role] = term.ask(question, read.people)
    term.say("")
    got.currency = term.ask("Currency of your accounts (ISO 4217)", read.currency, "USD")
    got.timezone = term.ask("Time zone for business hours", read.timezone, "UTC")
    term.say("\nFrom your Slack app (api.slack.com/apps); Enter to fill in .env later.")
    got.bot_token = term.ask("Bot token (xoxb-…)", read.secret("xoxb-", "a bot token"), hidden=True)
    got.signing_secret = term.ask(
        "Signing secret", read.secret("", "the signing secret"), hidden=True
    )
    return got


def _channel(required: bool) -> Callable[[str], str]:
    return lambda text: read.channel(text, required=required)


def may_write(term: Terminal, path: Path) -> bool:
    """True unless ``path`` exists and the person says no (Enter is no)."""
    if not path.exists():
        return True
    if term.ask(f"{path.name} exists. Replace it? [y/N]", read.yes_no(False)):
        return True
    term.say(f"  kept {path.name} as it was")
    return False


def write(term: Terminal, path: Path, text: str) -> None:
    """Write ``path``; `.env` (secrets) is readable by this user only before it holds any."""
    if path.name == ".env":
        path.touch(mode=0o600)
        path.chmod(0o600)
    path.write_text(text, encoding="utf-8")
    term.say(f"  wrote {path}")


def run(term: Terminal, folder: Path, templates: Templates, origin: str | None) -> list[Path]:
    """Interview, then write the files into ``folder``; returns those written."""
    existing = [name for name in ("policy.toml", ".env") if (folder / name).exists()]
    if existing:
        term.say(
            f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''} here: "
            "each is replaced only if you say yes at the end.\n"
        )
    got = interview(term)
    term.say("")
    files = {
        folder / "policy.toml": render_policy(templates.policy.read_text("utf-8"), got),
        folder / ".env": render_env(templates.env.read_text("utf-8"), got),
    }
    if origin:
        manifest = templates.manifest.read_text("utf-8")
        files[folder / MANIFEST_OUT] = render_manifest(manifest, origin)
    # Every "Replace it?" is answered before anything is written: a Ctrl-C or the end of the
    # answers between two of them leaves the folder as it was, never half replaced.
    chosen = {path: text for path, text in files.items() if may_write(term, path)}
    for path, text in chosen.items():
        write(term, path, text)
    written = list(chosen)
    if origin:
        term.say(
            f"Create the Slack app from {MANIFEST_OUT}: api.slack.com/apps → Create New App → "
            "From a manifest."
        )
    return written
