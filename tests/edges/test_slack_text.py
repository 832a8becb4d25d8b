"""Slack text in and out: unescaped once, escaped once, fitted after escaping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slack_edge.text import SECTION_TEXT, fit, from_slack, mrkdwn, plain


@pytest.mark.parametrize(
    ("slack", "expected"),
    [
        ("Baker &amp; Sons requested to cancel", "Baker & Sons requested to cancel"),
        ("a &lt;b&gt; c &amp;amp; d", "a <b> c &amp; d"),
        ("ping <!here> and <!channel>", "ping @here and @channel"),
        ("ask <@U0CSM> or <@U0AE|ann>", "ask <@U0CSM> or <@U0AE>"),
        ("see <#C0SALES|sales>", "see #sales"),
        ("team <!subteam^S1|@cs-leads>", "team @cs-leads"),
        ("due <!date^1805112000^{date}|15 Mar 2027>", "due 15 Mar 2027"),
        ("<https://x.example/a?b=1&amp;c=2|the doc>", "the doc (https://x.example/a?b=1&c=2)"),
        ("<https://x.example>", "https://x.example"),
        ("<mailto:jo@x.example|jo@x.example>", "jo@x.example"),
    ],
)
def test_from_slack(slack: str, expected: str) -> None:
    assert from_slack(slack) == expected


def test_mrkdwn_escapes_once_and_keeps_people() -> None:
    assert mrkdwn("Baker & Sons <b> <@U0CSM> <!here>") == (
        "Baker &amp; Sons &lt;b&gt; <@U0CSM> &lt;!here&gt;"
    )


def test_round_trip_never_doubles() -> None:
    once = mrkdwn(from_slack("Baker &amp; Sons"))
    assert once == "Baker &amp; Sons" and "&amp;amp;" not in once


def test_fit_never_cuts_an_escape_or_a_mention() -> None:
    assert fit("ab &amp; cd", 6) == "ab…"
    assert fit("x <@U0CSM> y", 8) == "x…"
    assert fit("short", 10) == "short"


def test_issue_example_fits_after_neutralising() -> None:
    typed = "Acme Corp said: " + "<b>&" * 700  # typed by a person: Slack escapes each
    slack = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert from_slack(slack) == typed
    out = mrkdwn(from_slack(slack), SECTION_TEXT - 20)
    assert len(out) <= SECTION_TEXT - 20 and out.endswith("…")
    assert out.rstrip("…").endswith(("&gt;", "&amp;", "b")), "never cut inside an escape"
    pings = from_slack(("Acme Corp requested to cancel. " + "<!here> " * 28 + "x" * 3000)[:2900])
    assert "<!" not in mrkdwn(pings) and len(mrkdwn(pings)) <= SECTION_TEXT


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=st.sampled_from(list("ab &<>;!@U0#|h")), max_size=300), st.integers(5, 200))
def test_mrkdwn_always_within_the_limit_and_never_pings(text: str, limit: int) -> None:
    out = mrkdwn(from_slack(text), limit)
    assert len(out) <= limit
    assert "<!" not in out
    assert plain(text, limit) == text or len(plain(text, limit)) <= limit
