"""The survey's decisions without Slack: field validation keyed by block id, competitor
normalisation and type-ahead, the what-was-tried pre-fill, and who is told."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.survey.answers import (
    InvalidSurvey,
    SurveyAnswers,
    SurveyField,
    SurveyForm,
    form_of,
    validate,
)
from bot.survey.competitors import clean, normalise, suggestions
from bot.survey.policy import ReasonSpec
from bot.survey.routing import LossFacts, OwnerTarget, owner_notice, owner_target
from bot.survey.tried import tried_text
from slack_edge.case_messages import esc, money
from storage.models import Offer

KEYS = ("missing_functionality", "price_value", "other")
GOOD = SurveyForm(
    stated_reason="  It did not do what we wanted ",
    root_cause="missing_functionality",
    controllable="yes",
    competitor="  Rivalsoft  ",
    tried="Discount",
    would_come_back="maybe",
    notes=None,
)


def test_valid_answers_are_cleaned() -> None:
    answers = validate(GOOD, KEYS, involuntary=False)
    assert answers == SurveyAnswers(
        stated_reason="It did not do what we wanted",
        root_cause="missing_functionality",
        controllable=True,
        competitor="Rivalsoft",
        competitor_key="rivalsoft",
        tried="Discount",
        would_come_back="maybe",
        notes=None,
    )
    assert form_of(answers.values()) == SurveyForm(
        stated_reason="It did not do what we wanted",
        root_cause="missing_functionality",
        controllable="yes",
        competitor="Rivalsoft",
        tried="Discount",
        would_come_back="maybe",
    )


def test_every_field_error_at_once_keyed_by_block_id() -> None:
    with pytest.raises(InvalidSurvey) as err:
        validate(SurveyForm(competitor="x" * 80, notes="n" * 3001), KEYS, involuntary=False)
    assert set(err.value.errors) == {
        SurveyField.STATED_REASON,
        SurveyField.ROOT_CAUSE,
        SurveyField.CONTROLLABLE,
        SurveyField.WOULD_COME_BACK,
        SurveyField.COMPETITOR,
        SurveyField.NOTES,
    }
    assert err.value.errors[SurveyField.NOTES] == "Keep it under 3000 characters (it has 3001)."


def test_a_root_cause_no_longer_in_the_policy_is_refused() -> None:
    form = SurveyForm(**{**GOOD.__dict__, "root_cause": "competitor"})
    with pytest.raises(InvalidSurvey) as err:
        validate(form, KEYS, involuntary=False)
    assert err.value.errors == {
        SurveyField.ROOT_CAUSE: "That root cause is no longer in the policy; pick another."
    }


def test_other_needs_notes_and_involuntary_needs_no_stated_reason() -> None:
    form = SurveyForm(**{**GOOD.__dict__, "root_cause": "other", "stated_reason": None})
    with pytest.raises(InvalidSurvey) as err:
        validate(form, KEYS, involuntary=True)
    assert err.value.errors == {SurveyField.NOTES: "Say in the notes what the root cause was."}
    answers = validate(SurveyForm(**{**form.__dict__, "notes": "Acquired"}), KEYS, involuntary=True)
    assert answers.stated_reason is None


@pytest.mark.parametrize(
    "typed",
    [
        "Rivalsoft",
        "rivalsoft ",
        "  RIVALSOFT",
        "rivalsoft\u00a0",
        "\uff32\uff49\uff56\uff41\uff4c\uff53\uff4f\uff46\uff54",
    ],
)
def test_competitor_spellings_count_as_one(typed: str) -> None:
    assert normalise(typed) == "rivalsoft"


def test_inner_spaces_collapse_and_empty_is_none() -> None:
    assert normalise("Big   Co\tInc") == "big co inc"
    assert clean("  Big   Co ") == "Big Co"
    assert normalise("   ") is None


@given(st.text())
def test_normalising_is_idempotent(name: str) -> None:
    key = normalise(name)
    assert key is None or normalise(key) == key


def test_type_ahead_offers_known_names_and_the_new_one() -> None:
    known = ["Rivalsoft", "Rival Systems", "Other Co"]
    assert suggestions("rival", known) == ["rival", "Rivalsoft", "Rival Systems"]
    assert suggestions("RIVALSOFT ", known) == ["Rivalsoft"]
    assert suggestions("", known) == known


def _offer(**values: object) -> Offer:
    base = {
        "type": "discount",
        "value": Decimal(5000),
        "discount_pct": Decimal("20.00"),
        "duration": "3 months",
        "status": "approved",
        "decided_by": "U0MGR",
        "outcome": "declined",
        "counter_value": None,
        "tried": None,
    }
    return Offer(**{**base, **values})


def test_what_was_tried_lists_offers_and_their_endings() -> None:
    offers = [
        _offer(tried="Exec call with their VP"),
        _offer(
            type="training",
            value=Decimal(0),
            discount_pct=None,
            duration=None,
            status="countered",
            counter_value=Decimal(1200),
            outcome=None,
            tried="Exec call with their VP",
        ),
        _offer(type="pause", status="rejected", outcome=None, discount_pct=None),
        _offer(type="free_months", decided_by=None, outcome="accepted", discount_pct=None),
    ]
    labels = {"discount": "Discount", "training": "Re-onboarding or training", "pause": "Pause"}
    assert tried_text(offers, "USD", labels, money).splitlines() == [
        "- Discount 20% worth $5,000 for 3 months: approved, customer declined",
        "- Re-onboarding or training worth $0: countered at $1,200, "
        "no answer from the customer recorded",
        "- Pause worth $5,000 for 3 months: rejected",
        "- Free months worth $5,000 for 3 months: applied within policy, customer accepted",
        "- Also tried: Exec call with their VP",
    ]
    assert tried_text([], "USD", labels, money) == ""


REASONS = {
    "ch": ReasonSpec("missing_functionality", "Missing functionality", "C0PRODUCT"),
    "grp": ReasonSpec("champion_left", "Champion left", "@cs-leads"),
    "gone": ReasonSpec("price_value", "Price", "gone@example.com"),
}


def _resolve(ref: str) -> tuple[str, ...]:
    return {"@cs-leads": ("U0LEAD1", "U0LEAD2")}.get(ref, ())


def test_only_the_owning_function_is_the_target() -> None:
    managers = ("U0MGR",)
    assert owner_target(REASONS["ch"], _resolve, managers) == OwnerTarget(
        owner="C0PRODUCT", channel="C0PRODUCT"
    )
    assert owner_target(REASONS["grp"], _resolve, managers) == OwnerTarget(
        owner="@cs-leads", users=("U0LEAD1", "U0LEAD2")
    )
    assert owner_target(REASONS["gone"], _resolve, managers) == OwnerTarget(
        owner="gone@example.com", users=managers, fallback=True
    )
    unowned = ReasonSpec("other", "Other", "")
    assert owner_target(unowned, _resolve, managers) is None
    assert owner_target(None, _resolve, managers) is None


def test_owner_notice_says_everything_the_owner_needs() -> None:
    facts = LossFacts(
        case_id=7,
        account_name="Acme <Corp>",
        currency="USD",
        arr_lost=Decimal(60000),
        root_cause_label="Missing functionality",
        stated_reason="Too expensive",
        competitor="Rivalsoft",
        controllable=True,
        involuntary=False,
        permalink="https://slack.test/p1",
    )
    text = owner_notice(facts, OwnerTarget("C0PRODUCT", channel="C0PRODUCT"), money, esc)
    assert text.splitlines() == [
        ":clipboard: *Lost: Acme &lt;Corp&gt;* (<https://slack.test/p1|case #7>), ARR lost $60,000",
        "*Root cause:* Missing functionality",
        "*Stated reason:* “Too expensive”",
        "*Competitor:* Rivalsoft",
        "*Controllable:* yes",
    ]
