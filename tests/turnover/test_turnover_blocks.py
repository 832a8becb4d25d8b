"""The turnover's Block Kit: valid for Slack (checked by the stand-in's validator), every
question and option present, answers read back or refused field by field."""

from __future__ import annotations

from datetime import timedelta

from bot.turnover.answers import (
    ANSWER_ENUMS,
    Answers,
    Coverage,
    Destination,
    Learned,
    Replacement,
    RoleFate,
)
from bot.turnover.models import PlanView, StepView
from demo.standin.validation import MAX_MESSAGE_BLOCKS, block_problems, view_problems
from slack_edge.turnover_messages import checklist, fill_in_prompt
from slack_edge.turnover_modals import (
    TurnoverMeta,
    assign_modal,
    read_answers,
    turnover_modal,
)

DANA = Answers(
    "Dana",
    Learned.AFTER_LEFT,
    Coverage.OTHER_CONTACT,
    Destination.ANOTHER_COMPANY,
    RoleFate.REPLACED,
    Replacement.EXTERNAL_COMPETITOR,
    other_contact_name="Lee",
    new_company="Globex",
    competitor="Initech",
)


def _submitted(view: dict) -> dict:
    """The state Slack would send back for a view submitted untouched (initial values)."""
    values: dict = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        if element["type"] == "radio_buttons":
            state = {"type": "radio_buttons", "selected_option": element.get("initial_option")}
        else:
            state = {"type": "plain_text_input", "value": element.get("initial_value")}
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def test_the_modal_asks_every_question_with_every_option() -> None:
    view = turnover_modal("Northwind (NW-1)", TurnoverMeta(account_id=7, note="heard"), None)
    assert view_problems(view) == []
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == [
        "contact_name",
        "learned_timing",
        "coverage",
        "other_contact_name",
        "destination",
        "new_company",
        "role_fate",
        "replacement",
        "competitor",
        "note",
    ]
    for name, enum in ANSWER_ENUMS.items():
        options = inputs[name]["element"]["options"]
        assert [o["value"] for o in options] == [m.value for m in enum]
        assert [o["text"]["text"] for o in options] == [m.label for m in enum]
    assert inputs["note"]["element"]["initial_value"] == "heard"
    assert TurnoverMeta.decode(view["private_metadata"]) == TurnoverMeta(7, note="heard")


def test_a_prefilled_modal_reads_back_the_same_answers() -> None:
    view = turnover_modal("Northwind", TurnoverMeta(7, case_id=3, turnover_id=9), DANA)
    assert view_problems(view) == []
    assert read_answers(_submitted(view)) == (DANA, {})


def test_missing_choices_and_names_are_inline_errors() -> None:
    empty = _submitted(turnover_modal("Northwind", TurnoverMeta(7), None))
    answers, errors = read_answers(empty)
    assert answers is None
    assert set(errors) == {*ANSWER_ENUMS, "contact_name"}
    view = turnover_modal("N", TurnoverMeta(7), DANA)
    values = _submitted(view)
    values["other_contact_name"]["other_contact_name"]["value"] = "  "
    answers, errors = read_answers(values)
    assert answers is None and list(errors) == ["other_contact_name"]


def test_metadata_that_is_not_ours_is_refused() -> None:
    for text in ("", "{}", '{"account_id": "x"}', "not json", '{"v": 9, "account_id": 1}'):
        try:
            TurnoverMeta.decode(text)
        except ValueError:
            continue
        raise AssertionError(f"accepted {text!r}")


PLAN = PlanView(
    turnover_id=4,
    case_id=3,
    contact_name="Dana",
    answers=DANA,
    steps=(
        StepView(11, "a", "Reach the boss", None, True, "U1"),
        StepView(12, "b", "Interim plan " + "x" * 200, "U0CSM", False, None),
    ),
    percent=50,
    time_at_risk=timedelta(days=2),
)


def test_checklist_assign_modal_and_prompt_are_valid_block_kit() -> None:
    text, blocks = checklist(PLAN)
    assert "plan 50% complete" in text
    assert block_problems(blocks, MAX_MESSAGE_BLOCKS) == []
    ticked = [b for b in blocks if b.get("accessory", {}).get("type") == "checkboxes"]
    assert [bool(b["accessory"].get("initial_options")) for b in ticked] == [True, False]
    assert "<@U0CSM>" in ticked[1]["text"]["text"]
    assert view_problems(assign_modal(PLAN)) == []
    assert block_problems(fill_in_prompt(3, "U0OWN")[1], MAX_MESSAGE_BLOCKS) == []
