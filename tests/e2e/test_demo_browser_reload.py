"""A reload of the demo page closes the modals left open, as a reload of Slack's client
does: the page comes back on the same person and channel with nothing in front of it
(docs/demo.md, *On the page*). Headless Chromium, as in tests/e2e/test_demo_browser.py
(skipped, saying why, without it)."""

from __future__ import annotations

from demo.runtime import Demo
from tests.browser_page import modal, modal_closed, type_in, until, wait_for_text
from tests.e2e.test_demo_browser import browser, demo  # noqa: F401  (fixtures)

CSM = "U0CSM"


def test_a_reload_closes_the_modal_left_open(demo: Demo, browser) -> None:  # noqa: F811
    browser.get(f"{demo.page_url}/?user={CSM}&channel=C0GENERAL")
    wait_for_text(browser, "#story", "Guided story")
    type_in(browser, "/churn risk hooli contact_left")
    modal(browser, "Main contact left")
    assert len(demo.standin.modal_stack(CSM)) == 1
    browser.refresh()
    wait_for_text(browser, "#story", "Guided story")
    modal_closed(browser)
    until(browser, lambda _: demo.standin.modal_stack(CSM) == [], "the stand-in closed it")
    assert f"user={CSM}" in browser.current_url, "still acting as the same person"
