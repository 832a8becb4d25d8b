"""Run the stand-in on its own: `python -m demo.standin --port 8888` prints every call."""

from __future__ import annotations

import argparse
import json
import time

from demo.standin.server import SlackStandin


def main() -> None:
    parser = argparse.ArgumentParser(description="A local Slack Web API stand-in")
    parser.add_argument("--port", type=int, default=8888)
    port = parser.parse_args().port
    with SlackStandin(port=port) as standin:
        print(f"Slack stand-in: SLACK_API_URL={standin.api_url}", flush=True)
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
