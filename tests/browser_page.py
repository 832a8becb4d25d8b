"""Driving the demo page as a person does, for the browser tests: read what is on screen,
click, type, fill modals. Every wait is explicit (an element or a text appearing), so the
tests are as fast as the page and never sleep.

The page re-renders what changed every poll, so elements are read and clicked in one step
(text via JavaScript; clicks retried when the element was just replaced).
"""

from __future__ import annotations

from typing import Any

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 20
TEXT_OF = "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText)"
DONE_STEPS = "return Array.from(document.querySelectorAll('.step.done')).map(e => e.dataset.step)"


def until(driver: Any, check: Any, what: str) -> Any:
    return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(check, what)


def wait_for_text(driver: Any, css: str, text: str) -> None:
    until(
        driver,
        lambda d: any(text in shown for shown in d.execute_script(TEXT_OF, css)),
        f"{text!r} never appeared in {css}",
    )


def texts(driver: Any, css: str) -> list[str]:
    return list(driver.execute_script(TEXT_OF, css))


def click(driver: Any, css: str) -> None:
    """Click the last element matching ``css`` (the newest message's, in a list)."""
    click_found(driver, lambda d: d.find_elements(By.CSS_SELECTOR, css), css)


def click_on_message(driver: Any, where: str, title: str, action_id: str) -> None:
    """Press the button ``action_id`` on the message in ``where`` (#messages or #thread)
    whose text contains ``title``."""
    xpath = (
        f"//*[@id='{where.lstrip('#')}']//div[contains(@class,'msg')]"
        f"[.//*[contains(normalize-space(.), {title!r})]]//button[@data-action-id='{action_id}']"
    )
    click_found(driver, lambda d: d.find_elements(By.XPATH, xpath), f"{action_id} on {title}")


def open_thread(driver: Any, title: str) -> None:
    xpath = (
        "//*[@id='messages']/div[contains(@class,'msg')]"
        f"[.//*[contains(normalize-space(.), {title!r})]]//button[contains(@class,'replies')]"
    )
    click_found(driver, lambda d: d.find_elements(By.XPATH, xpath), f"the thread of {title}")
    wait_for_text(driver, "#thread", title)


def click_found(driver: Any, find: Any, what: str) -> None:
    def clicked(d: Any) -> bool:
        found = find(d)
        if not found:
            return False
        try:
            found[-1].click()
        except StaleElementReferenceException:
            return False
        return True

    until(driver, clicked, f"nothing to click: {what}")


def type_in(driver: Any, text: str, css: str = "#composer-input") -> None:
    field = driver.find_element(By.CSS_SELECTOR, css)
    field.send_keys(text)
    field.send_keys(Keys.ENTER)


def act_as(driver: Any, user_id: str) -> None:
    Select(driver.find_element(By.ID, "person")).select_by_value(user_id)
    until(driver, lambda d: f"user={user_id}" in d.current_url, "the address names the person")


def go_to(driver: Any, channel_id: str) -> None:
    css = f'#channel-list [data-channel="{channel_id}"], #app-list [data-channel="{channel_id}"]'
    click(driver, css)
    until(driver, lambda d: f"{channel_id}" in d.current_url or "channel=app" in d.current_url,
          f"the address names {channel_id}")  # fmt: skip


def done_steps(driver: Any) -> set[str]:
    return set(driver.execute_script(DONE_STEPS))


def wait_for_step(driver: Any, step: str) -> None:
    until(driver, lambda d: step in done_steps(d), f"the story's step {step!r} never ticked")


def modal(driver: Any, title: str) -> Any:
    """The open modal, once its title reads ``title``."""
    wait_for_text(driver, ".modal .modal-head", title)
    return driver.find_element(By.CSS_SELECTOR, ".modal")


def field(driver: Any, block: str) -> Any:
    """A modal's input by block id, scrolled into the middle of the modal's body."""
    element = driver.find_element(By.CSS_SELECTOR, f'.modal [data-block="{block}"]')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    return element


def fill(driver: Any, block: str, text: str) -> None:
    element = field(driver, block)
    element.clear()
    element.send_keys(text)


def pick(driver: Any, block: str, label: str) -> None:
    """A static select's option, or a radio button, by the label a person reads."""
    element = field(driver, block)
    if element.tag_name == "select":
        Select(element).select_by_visible_text(label)
        return
    xpath = f".//label[contains(@class,'bk-choice')][.//span[normalize-space(.)={label!r}]]//input"
    element.find_element(By.XPATH, xpath).click()


def submit_modal(driver: Any) -> None:
    driver.find_element(By.CSS_SELECTOR, ".modal .modal-submit").click()


def modal_closed(driver: Any) -> None:
    until(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".modal"), "the modal closed")


def error_under(driver: Any, block: str) -> str:
    """The error shown under a modal field, once there is one."""
    css = f'.modal .bk-has-error:has([data-block="{block}"]) .bk-error'
    wait_for_text(driver, css, "")
    return texts(driver, css)[0]


def value_of(driver: Any, block: str) -> str:
    element = field(driver, block)
    if element.tag_name == "select":
        return Select(element).first_selected_option.text
    return str(element.get_attribute("value"))


def at_newest(driver: Any, css: str = "#messages") -> bool:
    """The list is scrolled to its newest message, every image in it loaded."""
    return bool(
        driver.execute_script(
            "const box = document.querySelector(arguments[0]);"
            "const loaded = Array.from(box.querySelectorAll('img'))"
            "  .every(i => i.complete && i.naturalHeight > 0);"
            "return loaded && box.scrollHeight - box.scrollTop - box.clientHeight < 40;",
            css,
        )
    )


def answer_confirm(driver: Any, button: str) -> str:
    """Answer the open confirmation dialog (a button's Block Kit `confirm`) with its
    ``button`` (`yes` or `deny`); returns the dialog's text. Waits until it is gone."""
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "dialog.bk-confirm[open]"),
          "a confirmation dialog")  # fmt: skip
    shown = texts(driver, "dialog.bk-confirm")[-1]
    click(driver, f"dialog.bk-confirm .bk-confirm-{button}")
    until(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog.bk-confirm"),
          "the dialog closed")  # fmt: skip
    return shown
