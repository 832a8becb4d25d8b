"""The demo as tests use it: started in this process on free ports, stopped after."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import app
from demo.runtime import Demo


def start_demo(db_url: str, folder: Path) -> Iterator[Demo]:
    """A running demo on a free port with the sample book imported; stopped afterwards."""
    demo = Demo(port=0, database_url=db_url, folder=folder)
    try:
        demo.page_url = demo.start(app.cmd_import)
        yield demo
    finally:
        demo.stop()


def page_call(demo: Demo, intent: str, user: str, **body: Any) -> tuple[int, dict]:
    """POST one intent to the page's API, as the page's JavaScript does."""
    request = urllib.request.Request(
        f"{demo.page_url}/api/{intent}",
        data=json.dumps({"user": user, **body}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=PAGE_TIMEOUT) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


PAGE_TIMEOUT = 30  # seconds: the demo is one process (Savedesk, its worker drawing charts,
# the stand-in, the page); on a loaded CI machine one answer has taken over 10 s


def page_state(demo: Demo, user: str) -> dict:
    url = f"{demo.page_url}/api/state?user={user}"
    with urllib.request.urlopen(url, timeout=PAGE_TIMEOUT) as reply:
        return json.loads(reply.read())
