"""The demo page's top bar (brand, person switcher, Savedesk clock and its controls) stays
on one line at 1280 px wide, the clock's offset shown too (docs/demo.md, *On the page*).
Headless Chromium, as in tests/e2e/test_demo_browser.py (skipped, saying why, without it)."""

from __future__ import annotations

from datetime import timedelta

from demo.runtime import Demo
from tests.browser_page import until, wait_for_text
from tests.e2e.test_demo_browser import browser, demo  # noqa: F401  (fixtures)

CSM = "U0CSM"
ROW = """
const bar = document.getElementById("topbar");
const tops = [...bar.querySelectorAll("button, select, .brand, #clock-now")]
  .map((e) => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2));
const rights = [...bar.querySelectorAll("*")].map((e) => e.getBoundingClientRect().right);
const right = Math.max(...rights);
const inner = bar.getBoundingClientRect().right - parseFloat(getComputedStyle(bar).paddingRight);
return [Math.max(...tops) - Math.min(...tops), right - inner];
"""


def test_the_top_bar_fits_one_line_at_1280_px(demo: Demo, browser) -> None:  # noqa: F811
    browser.set_window_size(1280, 900)
    demo.clock.advance(timedelta(days=13, hours=23))  # the widest offset: "(+13d 23h ahead)"
    browser.get(f"{demo.page_url}/?user={CSM}&channel=C0CASES")
    wait_for_text(browser, "#story", "Guided story")
    until(browser, lambda d: "ahead" in d.find_element("id", "clock-offset").text, "offset")
    width = browser.execute_script("return document.documentElement.clientWidth")
    assert width <= 1280
    spread, overflow = browser.execute_script(ROW)
    assert spread <= 4, "the top bar wrapped onto a second line"
    assert overflow <= 0, "the top bar's controls run past its right edge"
