"""Every emoji shortcode Savedesk writes shows on the demo page as Slack shows it (the
emoji, not `:arrows_counterclockwise:`): the page's table knows each one used in the
sources (docs/demo.md, *On the page*)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHORTCODE = re.compile(r"""(?:^|["' (]):([a-z][a-z0-9_+-]*):(?= )""", re.MULTILINE)
"""A shortcode opening a sentence or a word, then a space (`":bell: Still waiting"`); a
string such as `":memory:"` is not one."""
TABLE_KEY = re.compile(r"""(?:^|[\s,{])"?([a-z0-9_+-]+)"?: "[^"]+",""", re.MULTILINE)


def page_emoji() -> set[str]:
    script = (ROOT / "demo" / "static" / "mrkdwn.js").read_text(encoding="utf-8")
    table = script.split("const EMOJI = {", 1)[1].split("};", 1)[0]
    return set(TABLE_KEY.findall(table))


def used_shortcodes() -> dict[str, str]:
    """Each shortcode in a string of bot/, slack_edge/ or handlers/, with one file using it."""
    used: dict[str, str] = {}
    for folder in ("bot", "slack_edge", "handlers"):
        for source in sorted((ROOT / folder).rglob("*.py")):
            for name in SHORTCODE.findall(source.read_text(encoding="utf-8")):
                used.setdefault(name, str(source.relative_to(ROOT)))
    return used


def test_the_page_knows_every_shortcode_savedesk_writes() -> None:
    known = page_emoji()
    assert {"bell", "leftwards_arrow_with_hook", "+1"} <= known  # the table is read right
    used = used_shortcodes()
    assert len(used) > 20  # the sources are scanned
    missing = {name: where for name, where in used.items() if name not in known}
    assert missing == {}
