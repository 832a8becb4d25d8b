"""Type a slash command into the stand-in alone, as a person in Slack would:

    python -m demo.standin.say "/churn cancel acme budget cut"

It asks the running stand-in (`python -m demo.standin`) for the command's response_url and
trigger_id, sends the command to the app signed with its signing secret (as Slack does:
demo/standin/sender.py), prints the app's immediate answer, then what the app posts, for
`--wait` seconds at most: answers to the response_url, channel and ephemeral messages, the
modals it opens; a second after the app answered on the response_url, it stops. Defaults
come from the environment and `.env` in the current folder, as the app reads them:
SLACK_SIGNING_SECRET, the stand-in from SLACK_API_URL, the app from PORT. Exits 1 with one
line when the stand-in or the app cannot be reached, or the app refuses the signature
(docs/demo.md, *The stand-in alone*).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from demo.standin.sender import Response, SlackSender

DEFAULT_STANDIN = "http://127.0.0.1:8888"
MARKUP = re.compile(r"<([^<>]+)>")  # Slack's <@U…>, <#C…|name>, <url|label>, <!date^…|text>
POLL = 0.2  # seconds between looks at what the app posted
SETTLE = 1.0  # seconds of quiet, after the app answered on the response_url, to stop


class Refused(Exception):
    """One line saying why the command could not be sent or answered (exit 1)."""


def settings(env: Mapping[str, str], cwd: Path) -> dict[str, str]:
    """The environment over `.env` in `cwd`, as `python app.py` reads them."""
    found = {k: v for k, v in dotenv_values(cwd / ".env").items() if v is not None}
    return found | dict(env)


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    api_url = env.get("SLACK_API_URL", "")
    standin = api_url.removesuffix("/").removesuffix("/api") if api_url else DEFAULT_STANDIN
    parser = argparse.ArgumentParser(
        prog="python -m demo.standin.say",
        description="Type a slash command into the Slack stand-in; print what the app answers",
    )
    parser.add_argument("typed", metavar='"/churn …"', help="the command as typed in Slack")
    parser.add_argument(
        "--app",
        default=f"http://127.0.0.1:{env.get('PORT') or 3000}",
        help="the running app (default: http://127.0.0.1:PORT, PORT else 3000)",
    )
    parser.add_argument(
        "--standin",
        default=standin,
        help=f"the running stand-in (default: from SLACK_API_URL, else {DEFAULT_STANDIN})",
    )
    parser.add_argument("--user", default="U0CSM", help="who types it (default: U0CSM, the CSM)")
    parser.add_argument("--channel", default="C0GENERAL", help="where (default: C0GENERAL)")
    parser.add_argument(
        "--signing-secret",
        default=env.get("SLACK_SIGNING_SECRET") or "",
        help="the app's SLACK_SIGNING_SECRET (default: SLACK_SIGNING_SECRET)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=10.0,
        help="at most this many seconds to show what the app posts (default: 10; it stops "
        "sooner, a second after the app answers on the response_url)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv, settings(os.environ, Path.cwd()))
    try:
        say(args)
    except Refused as refused:
        print(f"say: {refused}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C while watching: enough seen
        print()
    return 0


def say(args: argparse.Namespace) -> None:
    command, _, text = args.typed.strip().partition(" ")
    if not command.startswith("/") or len(command) < 2:
        raise Refused(f"{args.typed!r} is not a slash command: type it as in Slack, '/churn …'")
    if not args.signing_secret:
        raise Refused(NO_SECRET)
    standin = Standin(args.standin.rstrip("/"))
    issued = standin.command(args.user, args.channel)
    before = standin.activity()
    answer = send(args, command, text, *issued)
    who = f"{standin.person(args.user)} in {standin.name(args.channel)}"
    out(
        f"{args.typed.strip()}  ({who}): the app answered (HTTP {answer.status})",
        standin.plain(shown_answer(answer)),
    )
    if args.wait > 0:
        print(f"(what the app posts next, for up to {args.wait:g}s; Ctrl-C stops)", flush=True)
    Watcher(standin, before, issued[0]).watch(args.wait)


NO_SECRET = "no signing secret: set SLACK_SIGNING_SECRET (the app's) or pass --signing-secret"
BAD_SECRET = "the signing secret must be the app's SLACK_SIGNING_SECRET"


def send(
    args: argparse.Namespace, command: str, text: str, response_url: str, trigger_id: str
) -> Response:
    sender = SlackSender(args.app, args.signing_secret)
    where = {"user_id": args.user, "channel_id": args.channel}
    where |= {"response_url": response_url, "trigger_id": trigger_id}
    try:
        answer = sender.slash_command(text, command=command, **where)
    except OSError as err:
        raise Refused(
            f"cannot reach the app at {args.app} ({reason(err)}); is `python app.py` running "
            "there? (--app URL)"
        ) from None
    if answer.status == 401:
        raise Refused(f"the app at {args.app} refused the signature (HTTP 401): {BAD_SECRET}")
    if answer.status != 200:
        raise Refused(f"the app at {args.app} answered HTTP {answer.status}: {answer.text[:200]}")
    return answer


def reason(err: BaseException) -> str:
    """`Connection refused`, `timed out`: the words under urllib's wrapping."""
    inner = getattr(err, "reason", None)
    return str(getattr(inner, "strerror", None) or inner or err)


def out(title: str, text: str) -> None:
    print(title, flush=True)
    print("\n".join(f"  {line}" for line in text.splitlines() or [""]), flush=True)


class Standin:
    """The running stand-in's own endpoints (demo/standin/rehearsal.py)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.channels: dict[str, str] = {}
        self.people: dict[str, str] = {}

    def _ask(self, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(f"{self.base_url}/standin/{path}", data, headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return json.loads(reply.read())
        except urllib.error.HTTPError as err:
            raise Refused(
                f"{self.base_url} is not the Slack stand-in (HTTP {err.code} for "
                f"/standin/{path}); --standin URL"
            ) from None
        except (OSError, ValueError) as err:
            raise Refused(
                f"cannot reach the Slack stand-in at {self.base_url} ({reason(err)}); start it "
                "with `python -m demo.standin` (--standin URL)"
            ) from None

    def command(self, user: str, channel: str) -> tuple[str, str]:
        """The response_url and trigger_id Slack puts in a command (typed where Slack would
        let one be typed: a channel it does not know is refused)."""
        issued = self._ask("command", {"user": user, "channel": channel})
        if not issued.get("ok"):
            known = " ".join(issued.get("channels") or [])
            raise Refused(
                f"the stand-in has no channel {channel} ({issued.get('error')}); it has {known} "
                "(start it with --channel C123=name for more)"
            )
        return str(issued["response_url"]), str(issued["trigger_id"])

    def activity(self) -> dict:
        seen = self._ask("activity")
        self.channels = {str(k): str(v) for k, v in (seen.get("channels") or {}).items()}
        self.people = {str(k): str(v) for k, v in (seen.get("users") or {}).items()}
        return seen

    def name(self, channel: str | None) -> str:
        if not channel:
            return "?"
        if channel.startswith("D"):  # the stand-in's DM with U0CSM is D0CSM
            return f"the DM with {self.person(f'U{channel[1:]}')}"
        return f"#{self.channels[channel]}" if channel in self.channels else channel

    def person(self, user: str) -> str:
        return f"@{self.people.get(user, user)}"

    def plain(self, text: str) -> str:
        """Slack's mrkdwn as a person reads it: `<@U0AE>` → @Alex Moreno, `<url|label>` →
        label, a date → its fallback text, `&lt;` → `<`."""
        return html.unescape(MARKUP.sub(lambda m: self._shown(m.group(1)), text))

    def _shown(self, inside: str) -> str:
        target, _, label = inside.partition("|")
        if target.startswith("@"):
            return self.person(target[1:])
        if target.startswith("#"):
            return f"#{label}" if label else self.name(target[1:])
        if target.startswith("!") and not label:
            return f"@{target[1:]}"  # <!here>, <!channel>
        return label or target


class Watcher:
    """Prints, as they come, what the app posts after its answer."""

    def __init__(self, standin: Standin, before: dict, response_url: str) -> None:
        self.standin, self.response_url = standin, response_url
        self.messages = {key(m): shown(m) for m in before["messages"]}
        self.views = {v["id"]: shown(v) for v in before["views"]}
        self.answered, self.last = False, time.monotonic()
        self.ephemerals = len(before["ephemerals"])
        self.responses = len(before["responses"])

    def watch(self, seconds: float) -> None:
        """Print what comes for `seconds`, or until the app has answered on the response_url
        (its last word on a command it works on after acknowledging) and then `SETTLE`
        seconds passed with nothing new."""
        deadline = time.monotonic() + seconds
        while True:
            seen = self.standin.activity()
            self.show_responses(seen["responses"])
            self.show_messages(seen["messages"])
            self.show_ephemerals(seen["ephemerals"])
            self.show_modals(seen["views"])
            now = time.monotonic()
            if self.answered and now - self.last >= SETTLE:
                return
            if now >= deadline:
                if not self.answered and seconds > 0:
                    print("(stopped watching: later posts show in the stand-in's output)")
                return
            time.sleep(min(POLL, max(0.0, deadline - now)))

    def show(self, title: str, text: str) -> None:
        out(title, self.standin.plain(text))
        self.last = time.monotonic()

    def show_responses(self, responses: list[dict]) -> None:
        for posted in responses[self.responses :]:
            if posted["url"] == self.response_url:
                body = posted["body"]
                how = [k for k in ("replace_original", "delete_original") if body.get(k)]
                if body.get("response_type"):
                    how.append(f"response_type={body['response_type']}")
                title = f"to the response_url ({', '.join(how) or 'a new message'}):"
                self.show(title, rendered(body))
                self.answered = True
        self.responses = len(responses)

    def show_messages(self, messages: list[dict]) -> None:
        for message in messages:
            was = self.messages.get(key(message))
            if was == shown(message):
                continue
            self.messages[key(message)] = shown(message)
            what = "posted in" if was is None else "updated in"
            where = self.standin.name(message["channel"])
            if message.get("thread_ts") not in (None, message["ts"]):
                where += f", in the thread of {message['thread_ts']}"
            self.show(f"{what} {where} (ts {message['ts']}):", rendered(message))

    def show_ephemerals(self, ephemerals: list[dict]) -> None:
        for shown_one in ephemerals[self.ephemerals :]:
            if shown_one.get("via") != "response_url":  # printed as posted, above
                who = self.standin.person(shown_one["user"])
                where = self.standin.name(shown_one["channel"])
                self.show(f"shown to {who} only, in {where}:", rendered(shown_one))
        self.ephemerals = len(ephemerals)

    def show_modals(self, views: list[dict]) -> None:
        for view in views:
            if view.get("type") != "modal" or self.views.get(view["id"]) == shown(view):
                continue
            what = "a modal opened" if view["id"] not in self.views else "the modal changed"
            self.views[view["id"]] = shown(view)
            who = self.standin.person(view["user"]) if view.get("user") else "someone"
            title = words(view.get("title"))
            self.show(f"{what} for {who}: “{title}”", rendered(view))


def key(message: dict) -> tuple[str, str]:
    return (str(message["channel"]), str(message["ts"]))


def shown(message: dict) -> str:
    return json.dumps([message.get("text"), message.get("blocks"), message.get("attachments")])


def shown_answer(answer: Response) -> str:
    if not answer.body.strip():
        return "(nothing shown: an empty acknowledgement)"
    try:
        body = answer.json()
    except ValueError:
        return answer.text
    return rendered(body) if isinstance(body, dict) else answer.text


def rendered(message: dict) -> str:
    """A message as text: its blocks' words (buttons as [Label]), else its text."""
    lines = [line for block in message.get("blocks") or [] for line in block_lines(block)]
    for attachment in message.get("attachments") or []:
        lines += [line for block in attachment.get("blocks") or [] for line in block_lines(block)]
        lines += [attachment["text"]] if attachment.get("text") else []
    return "\n".join(lines) if lines else str(message.get("text") or "(no text)")


def block_lines(block: dict) -> list[str]:
    kind = block.get("type")
    if kind in ("header", "section"):
        fields = [words(f).replace("\n", " ") for f in block.get("fields") or []]
        lines = [words(block.get("text")), *fields]
        if block.get("accessory"):
            lines.append(element(block["accessory"]))
        return [line for line in lines if line]
    if kind in ("context", "actions"):
        parts = [element(e) for e in block.get("elements") or []]
        return [" ".join(p for p in parts if p)]
    if kind == "divider":
        return ["—"]
    if kind == "input":
        return [f"{words(block.get('label'))}: …"]
    return [f"({kind} block)"]


def element(part: dict) -> str:
    kind = part.get("type")
    if kind in ("mrkdwn", "plain_text"):
        return words(part)
    if kind == "image":
        return ""
    label = words(part.get("text")) or words(part.get("placeholder")) or str(kind)
    return f"[{label}]"


def words(text: Any) -> str:
    return str(text.get("text") or "") if isinstance(text, dict) else ""


if __name__ == "__main__":
    raise SystemExit(main())
