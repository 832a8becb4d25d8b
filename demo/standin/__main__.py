"""Run the stand-in on its own: `python -m demo.standin --port 8888` prints every call.

It is also a Slack app's home for rehearsing OAuth mode (docs/demo.md, *The stand-in
alone*): it accepts one client id and secret (`--client-id`/`--client-secret`, else
SLACK_CLIENT_ID/SLACK_CLIENT_SECRET from the environment, else `STANDIN_CLIENT_ID` and
`STANDIN_CLIENT_SECRET`) and knows the app's Redirect URL as Slack does from the app's
settings (`--redirect-url`, else SLACK_REDIRECT_URI, else Savedesk's on its default port),
so that an "Add to Slack" link without `redirect_uri` works, as at Slack. Its authorize
page approves at once, for workspace T0TEST.

Its workspace is the demo's (demo/workspace.py: people, groups and channels), plus any
channel given with `--channel C123=name`; any other channel is channel_not_found, as at
Slack, so `python app.py check` catches a policy naming a wrong channel ID.
`python -m demo.standin.say` types a slash command into it (demo/standin/say.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import time
from collections.abc import Mapping, Sequence

from demo.standin.server import SlackStandin
from demo.workspace import populate

STANDIN_CLIENT_ID = "1000000001.2000000002"
STANDIN_CLIENT_SECRET = "standin-client-secret"
DEFAULT_REDIRECT_URL = "http://127.0.0.1:3000/slack/oauth_redirect"  # Savedesk's PORT 3000


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    """The command line, its defaults taken from `env` (the variables Savedesk reads)."""
    parser = argparse.ArgumentParser(description="A local Slack Web API stand-in")
    parser.add_argument("--port", type=int, default=8888, help="0: any free port")
    parser.add_argument(
        "--client-id",
        default=env.get("SLACK_CLIENT_ID") or STANDIN_CLIENT_ID,
        help="the app's client id it accepts (default: SLACK_CLIENT_ID, else its own)",
    )
    parser.add_argument(
        "--client-secret",
        default=env.get("SLACK_CLIENT_SECRET") or STANDIN_CLIENT_SECRET,
        help="the app's client secret it accepts (default: SLACK_CLIENT_SECRET, else its own)",
    )
    parser.add_argument(
        "--redirect-url",
        default=env.get("SLACK_REDIRECT_URI") or DEFAULT_REDIRECT_URL,
        help=f"the app's Redirect URL (default: SLACK_REDIRECT_URI, else {DEFAULT_REDIRECT_URL})",
    )
    parser.add_argument(
        "--channel",
        action="append",
        type=channel_arg,
        default=[],
        metavar="C123=name",
        help="a channel of the workspace besides the demo's (repeatable)",
    )
    return parser.parse_args(argv)


def channel_arg(given: str) -> tuple[str, str]:
    """`C123=name` (a channel ID as Slack shows it, `C…` or `G…`) → (ID, name)."""
    channel_id, _, name = given.partition("=")
    channel_id, name = channel_id.strip(), name.strip().lstrip("#")
    if not re.fullmatch(r"[CG][A-Z0-9]{2,}", channel_id) or not name:
        raise argparse.ArgumentTypeError(f"{given!r}: expected a channel ID and a name, C123=name")
    return channel_id, name


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv, os.environ)
    with SlackStandin(port=args.port) as standin:
        standin.register_app(
            args.client_id,
            args.client_secret,
            redirect_url=args.redirect_url,
            strict_tokens=False,  # SLACK_BOT_TOKEN mode takes any token, as before
        )
        populate(standin)
        for channel_id, name in args.channel:
            standin.add_channel(channel_id, name)
        standin.strict_channels = True
        print(f"Slack stand-in: SLACK_API_URL={standin.api_url}", flush=True)
        print(
            f"OAuth mode: SLACK_CLIENT_ID={args.client_id} "
            f"SLACK_CLIENT_SECRET={args.client_secret} "
            f"(the app's Redirect URL: {args.redirect_url})",
            flush=True,
        )
        known = " ".join(f"{c['id']}=#{c['name']}" for c in standin.channels())
        print(f"Channels (any other is channel_not_found): {known}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            echo(standin)


def echo(standin: SlackStandin) -> None:
    """Print every Web API call, and every post to a response_url, as they come."""
    calls_seen = responses_seen = 0
    while True:
        calls, responses = standin.calls(), standin.responses()
        for call in calls[calls_seen:]:
            print(f"{call.method} {json.dumps(call.args)[:200]}", flush=True)
        for body in responses[responses_seen:]:
            print(f"response_url {json.dumps(body)[:200]}", flush=True)
        calls_seen, responses_seen = len(calls), len(responses)
        time.sleep(0.5)


if __name__ == "__main__":
    main()
