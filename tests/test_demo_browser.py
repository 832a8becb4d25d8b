"""The demo page in a real browser (headless Chromium driven by Selenium): a CSM opens a
cancellation, proposes an offer, the manager approves it, and a nudge arrives after the
clock moves. Set SAVEDESK_SCREENSHOTS=docs to refresh the screenshots in docs/.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); skipped with
the reason when they are absent. Nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo.runtime import Demo
from tests.conftest import database_url
from tests.demo_fixtures import start_demo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip(
        "browser test needs Chromium and chromedriver (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SHOTS = os.environ.get("SAVEDESK_SCREENSHOTS")
WAIT = 20


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    for url in database_url(tmp_path):
        yield from start_demo(url, tmp_path / "demo")


@pytest.fixture
def browser() -> Iterator[object]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1500,950")
    service = webdriver.chrome.service.Service(CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


# The page re-renders what changed every poll, so elements are read and clicked in one
# step (text via JavaScript; clicks retried when the element was just replaced).
TEXT_OF = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText)"


def wait_for_text(driver, css: str, text: str) -> None:
    WebDriverWait(driver, WAIT).until(
        lambda d: any(text in shown for shown in d.execute_script(TEXT_OF, css)),
        f"{text!r} never appeared in {css}",
    )


def click(driver, css: str) -> None:
    def clicked(d) -> bool:
        found = d.find_elements(By.CSS_SELECTOR, css)
        if not found:
            return False
        try:
            found[-1].click()
        except StaleElementReferenceException:
            return False
        return True

    WebDriverWait(driver, WAIT).until(clicked, f"nothing to click at {css}")


def type_in(driver, text: str, css: str = "#composer-input") -> None:
    field = driver.find_element(By.CSS_SELECTOR, css)
    field.send_keys(text)
    field.send_keys(Keys.ENTER)


def act_as(driver, user_id: str) -> None:
    Select(driver.find_element(By.ID, "person")).select_by_value(user_id)


def shot(driver, name: str) -> None:
    if SHOTS:
        driver.save_screenshot(str(Path(SHOTS) / name))


def propose_offer(driver) -> None:
    click(driver, '#messages button[data-action-id="case_offer"]')
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".modal"))
    modal = driver.find_element(By.CSS_SELECTOR, ".modal")
    Select(modal.find_element(By.CSS_SELECTOR, '[data-block="type"]')).select_by_visible_text(
        "Discount"
    )
    fields = {"value": "16800", "discount_pct": "20", "duration": "12 months"}
    fields["justification"] = "Budget cut; a year at 20% off keeps them through the renewal"
    for block, text in fields.items():
        modal.find_element(By.CSS_SELECTOR, f'[data-block="{block}"]').send_keys(text)
    modal.find_element(By.CSS_SELECTOR, ".modal-submit").click()
    WebDriverWait(driver, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".modal"))


def test_cancellation_offer_approval_and_nudge_in_the_browser(demo: Demo, browser) -> None:
    browser.get(f"{demo.page_url}/?user=U0CSM&channel=C0CASES")
    wait_for_text(browser, "#story", "Guided story")
    type_in(browser, "/churn cancel acme budget cut")
    wait_for_text(browser, "#messages", "Cancellation: Acme Corp")
    wait_for_text(browser, "#messages .bk-field", "@Sam Rivera")  # the owner, by ARR

    propose_offer(browser)
    click(browser, "#messages .replies")
    wait_for_text(browser, "#thread", "Approval needed from")
    WebDriverWait(browser, WAIT).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#thread button[data-action-id="offer_approve"]')
    )
    shot(browser, "demo-case-thread.png")

    act_as(browser, "U0MGR")
    click(browser, '#thread button[data-action-id="offer_approve"]')
    wait_for_text(browser, "#thread", "Approved by")
    shot(browser, "demo-approval.png")

    act_as(browser, "U0CSM")
    type_in(browser, "/churn risk globex usage_drop logins halved")
    wait_for_text(browser, "#messages", "Usage drop: Globex")
    click(browser, '#channel-list [data-channel="C0GENERAL"]')
    for control in ("clock-morning", "clock-day"):  # a business day has begun, whenever we run
        before = browser.find_element(By.ID, "clock-now").text
        browser.find_element(By.ID, control).click()
        WebDriverWait(browser, WAIT).until(
            lambda d, before=before: d.find_element(By.ID, "clock-now").text != before
        )
    WebDriverWait(browser, WAIT).until(  # the owner's DM with the app gets an unread mark
        lambda d: d.find_elements(By.CSS_SELECTOR, '#app-list .unread[data-channel="D0CSM"]')
    )
    click(browser, '#app-list .side-item[data-channel="D0CSM"]')
    wait_for_text(browser, "#messages", "acted on this case")  # nudge or escalation

    done = set(
        browser.execute_script(
            "return Array.from(document.querySelectorAll('.step.done')).map(e => e.dataset.step)"
        )
    )
    assert {"open", "routed", "offer", "approve", "nudge"} <= done


def test_mrkdwn_and_times_render_as_slack_shows_them(demo: Demo, browser) -> None:
    browser.get(f"{demo.page_url}/?user=U0CSM")
    wait_for_text(browser, "#story", "Guided story")
    text = (
        "*Owner* _new_ ~old~ `a*b*` <@U0CSM> in <#C0CASES> AT&amp;T &lt;x&gt; "
        "<https://example.com/?a=1&amp;b=2|the link> <!date^1796050800^{date_long} at {time}|x>"
        "\n>quoted\nsnake_case_name"
    )
    ctx = {
        "people": [{"id": "U0CSM", "name": "Casey Kim"}],
        "channels": [{"id": "C0CASES", "name": "cases"}],
        "timezone": "America/New_York",
        "now": "2026-11-29T15:00:00Z",
    }
    html = browser.execute_script("return SlackText.mrkdwn(arguments[0], arguments[1])", text, ctx)
    assert "<b>Owner</b> <i>new</i> <s>old</s> <code>a*b*</code>" in html
    assert "@Casey Kim" in html and "#cases" in html and "AT&amp;T &lt;x&gt;" in html
    assert 'href="https://example.com/?a=1&amp;b=2"' in html and ">the link</a>" in html
    assert "<time>Monday, November 30th, 2026 at 10:00 AM</time>" in html  # New York time
    assert "<blockquote>quoted</blockquote>snake_case_name" in html
    epoch = browser.execute_script(
        "return BlockKit.zonedEpoch('2026-11-30T10:00', 'America/New_York')"
    )
    assert epoch == 1796050800
