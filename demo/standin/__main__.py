"""Run the stand-in on its own: `python -m demo.standin --port 8888` prints every call.

It is also a Slack app's home for rehearsing OAuth mode (docs/demo.md, *The stand-in
alone*): it accepts one client id and secret (`--client-id`/`--client-secret`, else
SLACK_CLIENT_ID/SLACK_CLIENT_SECRET from the environment, else `STANDIN_CLIENT_ID` and
`STANDIN_CLIENT_SECRET`) and knows the app's Redirect URL as Slack does from the app's
settings (`--redirect-url`, else SLACK_REDIRECT_URI, else Savedesk's on its default port),
so that an "Add to Slack" link without `redirect_uri` works, as at Slack. Its authorize
page approves at once, for workspace T0TEST.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Mapping, Sequence

from demo.standin.server import SlackStandin

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
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv, os.environ)
    with SlackStandin(port=args.port) as standin:
        standin.register_app(
            args.client_id,
            args.client_secret,
            redirect_url=args.redirect_url,
            strict_tokens=False,  # SLACK_BOT_TOKEN mode takes any token, as before
        )
        print(f"Slack stand-in: SLACK_API_URL={standin.api_url}", flush=True)
        print(
            f"OAuth mode: SLACK_CLIENT_ID={args.client_id} "
            f"SLACK_CLIENT_SECRET={args.client_secret} "
            f"(the app's Redirect URL: {args.redirect_url})",
            flush=True,
        )
        seen = 0
        try:
            while True:
                calls = standin.calls()
                for call in calls[seen:]:
                    print(f"{call.method} {json.dumps(call.args)[:200]}", flush=True)
                seen = len(calls)
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
