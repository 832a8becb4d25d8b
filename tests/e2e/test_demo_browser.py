"""The demo page in a real browser (headless Chromium driven by Selenium): the guided
story's ten steps played as a newcomer plays them, asserting at each what they would see,
then what Slack would do with a reload and a mistyped command. Set
SAVEDESK_SCREENSHOTS=docs to refresh the screenshots in docs/.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); skipped with
the reason when they are absent. Nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import re
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

from selenium.webdriver.common.by import By  # noqa: E402

from tests.browser_page import (  # noqa: E402
    act_as,
    answer_confirm,
    at_newest,
    click,
    click_on_message,
    done_steps,
    error_under,
    fill,
    go_to,
    modal,
    modal_closed,
    open_thread,
    pick,
    submit_modal,
    texts,
    type_in,
    until,
    value_of,
    wait_for_step,
    wait_for_text,
)

SHOTS = os.environ.get("SAVEDESK_SCREENSHOTS")
CSM, SAVE_DESK, MANAGER, CFO = "U0CSM", "U0SAVE1", "U0MGR", "U0CFO"
ACME, GLOBEX = "Cancellation: Acme Corp", "Usage drop: Globex"
LAST_CHART = "#messages > .msg:last-child figure img"


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
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.chrome.service.Service(CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver, name: str) -> None:
    if SHOTS:
        driver.save_screenshot(str(Path(SHOTS) / name))


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


# -- the story, one function per step: what the person does, then what they see


def step_open(driver) -> None:
    type_in(driver, "/churn cancel acme budget cut")
    wait_for_text(driver, "#messages", ACME)
    wait_for_step(driver, "open")


def step_routed(driver) -> None:
    wait_for_text(driver, "#messages .bk-field", "@Sam Rivera")  # $84,000: the save desk
    wait_for_step(driver, "routed")


def step_acknowledge(driver) -> None:
    act_as(driver, SAVE_DESK)
    wait_for_text(driver, "#app-list", "Savedesk")
    click_on_message(driver, "#messages", ACME, "case_acknowledge")
    open_thread(driver, ACME)
    wait_for_text(driver, "#thread", "acknowledged the case")  # on the root
    wait_for_step(driver, "acknowledge")


def step_offer(driver) -> None:
    """A first try with a value that is not a number: the error shows under the field and
    every other answer is still there, as in Slack."""
    click_on_message(driver, "#messages", ACME, "case_offer")
    modal(driver, "offer")
    pick(driver, "type", "Discount")
    fill(driver, "value", "lots")
    fill(driver, "discount_pct", "20")
    fill(driver, "duration", "12 months")
    fill(driver, "justification", "Budget cut; a year at 20% off keeps them through the renewal")
    submit_modal(driver)
    assert error_under(driver, "value")
    assert (value_of(driver, "type"), value_of(driver, "discount_pct")) == ("Discount", "20")
    assert value_of(driver, "justification").startswith("Budget cut; a year at 20%")
    fill(driver, "value", "16800")
    submit_modal(driver)
    modal_closed(driver)
    wait_for_text(driver, "#thread", "Approval needed from")
    wait_for_step(driver, "offer")
    shot(driver, "demo-case-thread.png")


def step_approve(driver) -> None:
    act_as(driver, MANAGER)
    click(driver, '#thread button[data-action-id="offer_approve"]')
    wait_for_text(driver, "#thread", "Approved by")
    wait_for_step(driver, "approve")
    shot(driver, "demo-approval.png")


def move_clock(driver, control: str) -> None:
    before = driver.find_element(By.ID, "clock-now").text
    driver.find_element(By.ID, control).click()
    until(driver, lambda d: d.find_element(By.ID, "clock-now").text != before, "the clock moved")


def step_nudge(driver) -> None:
    act_as(driver, CSM)
    type_in(driver, "/churn risk globex usage_drop logins halved")
    wait_for_text(driver, "#messages", GLOBEX)
    go_to(driver, "C0GENERAL")
    for control in ("clock-morning", "clock-day"):  # a business day has begun, whenever we run
        move_clock(driver, control)
    until(  # the owner's DM with the app gets an unread mark
        driver,
        lambda d: d.find_elements(By.CSS_SELECTOR, '#app-list .unread[data-channel="D0CSM"]'),
        "an unread mark on the CSM's DM",
    )
    go_to(driver, "D0CSM")
    wait_for_text(driver, "#messages", "acted on this case")  # nudge or escalation
    wait_for_step(driver, "nudge")
    dm = texts(driver, "#messages")[0]
    asked = re.findall(r"OK to send the renewal invoice for (.+?) \(", dm)
    assert set(asked) <= {"Pied Piper"}  # one account asked about: the story stays on top
    assert at_newest(driver)


def step_dunning(driver) -> None:
    """Soylent's invoice reaches the CFO; everyone #finance names can be switched to."""
    go_to(driver, "C0FINANCE")
    wait_for_text(driver, "#messages", "Dunning 90-day step")
    wait_for_text(driver, "#messages", "@Robin Hale")
    wait_for_step(driver, "dunning")
    named = set(driver.execute_script(
        "return Array.from(document.querySelectorAll('#messages .mention[data-user]'))"
        ".map(e => e.dataset.user)"
    ))  # fmt: skip
    switchable = {
        o.get_attribute("value") for o in driver.find_elements(By.CSS_SELECTOR, "#person option")
    }
    assert CFO in named and named <= switchable


def step_turnover(driver) -> None:
    go_to(driver, "C0CASES")
    type_in(driver, "/churn risk hooli contact_left")
    modal(driver, "Main contact left")
    fill(driver, "contact_name", "Jamie Fox")
    for block, label in (
        ("learned_timing", "After they left"),
        ("coverage", "No other contact"),
        ("destination", "Another role at the customer"),
        ("role_fate", "Being replaced"),
        ("replacement", "Not known yet"),
    ):
        pick(driver, block, label)
    submit_modal(driver)
    modal_closed(driver)
    wait_for_text(driver, "#messages", "Hooli")
    open_thread(driver, "Hooli")
    wait_for_text(driver, "#thread", "Action plan: Jamie Fox left")
    wait_for_step(driver, "turnover")
    shot(driver, "demo-turnover-plan.png")


def step_survey(driver) -> None:
    """Globex churns; a survey sent with Other and no note keeps its answers and asks for
    the note."""
    click_on_message(driver, "#messages", GLOBEX, "case_acknowledge")
    wait_for_text(driver, "#messages", "Acknowledged")
    click_on_message(driver, "#messages", GLOBEX, "case_churned")
    assert "Mark churned?" in answer_confirm(driver, "deny")  # as in Slack: nothing is sent
    click_on_message(driver, "#messages", GLOBEX, "case_churned")
    answer_confirm(driver, "yes")
    go_to(driver, "D0CSM")
    click(driver, '#messages button[data-action-id="survey_fill"]')
    modal(driver, "survey")
    fill(driver, "survey_stated_reason", "Nobody logs in any more")
    pick(driver, "survey_root_cause", "Other (say what in the notes)")
    pick(driver, "survey_controllable", "No")
    pick(driver, "survey_would_come_back", "Maybe")
    submit_modal(driver)
    assert "notes" in error_under(driver, "survey_notes")
    assert value_of(driver, "survey_root_cause") == "Other (say what in the notes)"
    assert value_of(driver, "survey_stated_reason") == "Nobody logs in any more"
    fill(driver, "survey_notes", "Analytics moved in-house")
    submit_modal(driver)
    modal_closed(driver)
    wait_for_step(driver, "survey")


def step_report(driver) -> None:
    act_as(driver, MANAGER)
    go_to(driver, "C0LEADERS")
    type_in(driver, "/churn report week")
    wait_for_text(driver, "#messages", "Revenue at risk")
    wait_for_text(driver, "#messages", "Top root causes: Other: Analytics moved in-house")
    wait_for_step(driver, "report")
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, LAST_CHART), "the report's chart")
    # the weekly report may be there too (Monday 9:00 passed): this one is in view
    until(driver, lambda d: at_newest(d), "#leadership at its newest message, chart loaded")
    shot(driver, "demo-report.png")


STORY = (
    step_open, step_routed, step_acknowledge, step_offer, step_approve,
    step_nudge, step_dunning, step_turnover, step_survey, step_report,
)  # fmt: skip


def test_the_whole_story_in_the_browser(demo: Demo, browser) -> None:
    browser.get(f"{demo.page_url}/?user={CSM}&channel=C0CASES")
    wait_for_text(browser, "#story", "Guided story")
    wait_for_text(browser, "#story-count", "0 / 10")  # the heading is there before the state
    for step in STORY:
        step(browser)
    assert len(done_steps(browser)) == 10
    wait_for_text(browser, "#story-count", "10 / 10")
    assert console_errors(browser) == []


def test_a_reload_keeps_the_person_and_the_channel(demo: Demo, browser) -> None:
    browser.get(f"{demo.page_url}/")
    wait_for_text(browser, "#story", "Guided story")
    act_as(browser, MANAGER)
    go_to(browser, "C0LEADERS")
    browser.refresh()
    wait_for_text(browser, "#channel-header", "# leadership")
    assert browser.find_element(By.ID, "person").get_attribute("value") == MANAGER


def test_an_old_address_opens_the_csm_in_cases(demo: Demo, browser) -> None:
    browser.get(f"{demo.page_url}/?user=U0NOBODY&channel=C0GONE")
    wait_for_text(browser, "#channel-header", "# cases")
    assert browser.find_element(By.ID, "person").get_attribute("value") == CSM
    assert browser.find_element(By.ID, "error").get_attribute("hidden")
    assert console_errors(browser) == []


def test_a_mistyped_command_is_answered_as_slack_answers_it(demo: Demo, browser) -> None:
    browser.get(f"{demo.page_url}/?user={CSM}&channel=C0CASES")
    wait_for_text(browser, "#story", "Guided story")
    type_in(browser, "/chrun cancel acme")
    wait_for_text(browser, "#messages", "/chrun is not a valid command")
    assert "Slackbot" in texts(browser, "#messages .msg-head")[-1]
    assert browser.find_element(By.ID, "error").get_attribute("hidden")  # no toast
    assert console_errors(browser) == []
    assert not demo.client.inbound()


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


def test_a_button_with_confirm_asks_first_and_cancel_sends_nothing(demo: Demo, browser) -> None:
    """Mark churned carries Block Kit's `confirm`: the page shows the dialog as Slack does,
    Cancel sends no action, the dialog's own button sends exactly one."""
    browser.get(f"{demo.page_url}/?user={CSM}&channel=C0CASES")
    wait_for_text(browser, "#story", "Guided story")
    step_open(browser)
    act_as(browser, SAVE_DESK)
    click_on_message(browser, "#messages", ACME, "case_churned")
    shown = answer_confirm(browser, "deny")
    assert "Mark churned?" in shown and "reopened later" in shown
    click_on_message(browser, "#messages", ACME, "case_churned")
    answer_confirm(browser, "yes")
    wait_for_text(browser, "#messages", "Churned")

    def churned() -> list:
        return [n for n in demo.client.inbound() if n.get("action_id") == "case_churned"]

    until(browser, lambda _: churned(), "the confirmed click reached Savedesk")
    assert len(churned()) == 1
    assert console_errors(browser) == []


def test_unread_marks_are_per_person_and_a_thread_click_is_answered_there(
    demo: Demo, browser
) -> None:
    """docs/demo.md promises unread marks: what reached a person while the page acted as
    someone else is unread when you switch to them. A refusal for a click in the thread
    pane shows in the thread pane, as Slack shows it."""
    browser.get(f"{demo.page_url}/?user={CSM}&channel=C0CASES")
    wait_for_text(browser, "#story", "Guided story")
    step_open(browser)  # $84,000: the save desk's Sam Rivera gets "You own a new case"
    wait_for_text(browser, "#messages .bk-field", "@Sam Rivera")
    act_as(browser, SAVE_DESK)
    until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#app-list .side-item.unread"),
          "the save desk's DM from Savedesk is marked unread")  # fmt: skip
    click_on_message(browser, "#messages", ACME, "case_acknowledge")  # a reply: a thread
    act_as(browser, CFO)
    open_thread(browser, ACME)
    click_on_message(browser, "#thread", ACME, "case_saved")
    wait_for_text(browser, "#thread .msg.ephemeral", "Only")
    assert not [t for t in texts(browser, "#messages .msg.ephemeral") if "Only" in t]
    assert console_errors(browser) == []


# A 1x1 PNG: an image that loads without the network.
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def test_a_list_at_its_newest_message_stays_there_when_a_late_scroll_event_meets_an_image(
    demo: Demo, browser
) -> None:
    """A scroll event for the page's own scroll arrives after an image grew the list: it
    must not count as the person scrolling up (the report's chart was left cut off). The
    list is grown by hand between two renders (a render redraws it: then it is tried again)."""
    browser.get(f"{demo.page_url}/?user={CSM}&channel=C0CASES")
    wait_for_text(browser, "#story", "Guided story")
    for _attempt in range(5):
        shown = browser.execute_script("return document.body.dataset.rendered;")
        browser.execute_script(
            "const box = document.querySelector('#messages');"
            "const tall = document.createElement('div'); tall.style.height = '900px';"
            "box.appendChild(tall);"  # the list grew under a scrollTop the page had set
            "box.dispatchEvent(new Event('scroll'));"  # ...and the late event arrives
            "const img = document.createElement('img'); img.style.height = '300px';"
            "img.src = arguments[0]; box.appendChild(img);",
            PIXEL,
        )
        until(browser, lambda d: d.execute_script(LOADED), "the image loaded or redrawn")
        if browser.execute_script("return document.body.dataset.rendered;") == shown:
            break
    until(browser, lambda d: at_newest(d), "the list back at its newest message")


LOADED = (
    "return Array.from(document.querySelectorAll('#messages img'))"
    ".every(i => i.complete && i.naturalHeight > 0);"
)
