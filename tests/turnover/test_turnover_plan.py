"""The turnover plan rules: the playbook's built-in steps, re-derivation that keeps done
steps done, risk level, progress and time at risk (docs/turnover.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.turnover.answers import (
    Answers,
    Coverage,
    Destination,
    Learned,
    Replacement,
    RoleFate,
)
from bot.turnover.plan import (
    PlanContext,
    StepState,
    combined_risk,
    derive_plan,
    new_plan,
    percent_complete,
    plan_progress,
    rederive,
    risk_level,
    time_at_risk,
)
from bot.turnover.policy import TurnoverPolicy, parse_turnover_policy

LEARNED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
NO_POLICY = TurnoverPolicy()


def answers(**changes: object) -> Answers:
    base: dict[str, object] = {
        "contact_name": "Dana Smith",
        "learned_timing": Learned.AFTER_LEFT,
        "coverage": Coverage.NO_OTHER_CONTACT,
        "destination": Destination.ANOTHER_COMPANY,
        "role_fate": RoleFate.REPLACED,
        "replacement": Replacement.UNKNOWN,
        "new_company": "Globex",
    }
    base.update(changes)
    return Answers(**base)  # type: ignore[arg-type]


def keys(a: Answers, policy: TurnoverPolicy = NO_POLICY, **context: object) -> list[str]:
    return [step.key for step in derive_plan(a, policy, PlanContext(**context))]  # type: ignore[arg-type]


def test_champion_gone_to_another_company_with_nobody_left() -> None:
    plan = derive_plan(answers(), NO_POLICY, PlanContext())
    texts = [step.text for step in plan]
    assert [step.key for step in plan] == [
        "reach_boss_or_hr",
        "interim_plan",
        "identify_replacement",
        "send_lead",
    ]
    assert "Reach Dana Smith's boss, or HR / the main number" in texts
    assert "Agree an interim plan until the replacement is hired" in texts
    assert "Send the lead to sales: Dana Smith at Globex" in texts
    assert risk_level(answers()) == "high"


def test_internal_move_with_cover_is_a_light_plan_at_medium_risk() -> None:
    a = answers(
        learned_timing=Learned.BEFORE_LEFT,
        coverage=Coverage.OTHER_CONTACT,
        other_contact_name="Lee",
        destination=Destination.ANOTHER_ROLE,
        replacement=Replacement.INTERNAL,
    )
    assert keys(a) == [
        "handover_intro",
        "interim_plan",
        "light_onboarding",
        "capture_value",
        "keep_in_touch",
    ]
    assert "send_lead" not in keys(a) and "full_onboarding" not in keys(a)
    assert risk_level(a) == "medium"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"role_fate": RoleFate.MERGED}, {"interim_plan", "ongoing_plan"}),
        ({"role_fate": RoleFate.LEAVING_SPACE}, {"offboard_well", "other_uses"}),
        ({"replacement": Replacement.EXTERNAL_NEW}, {"full_onboarding"}),
        ({"replacement": Replacement.EXTERNAL_COMPETITOR}, {"onboarding_vs_competitor"}),
        ({"destination": Destination.UNKNOWN}, set()),
    ],
)
def test_each_answer_brings_its_playbook_steps(
    change: dict[str, object], expected: set[str]
) -> None:
    got = set(keys(answers(**change)))
    assert expected <= got
    if change.get("destination") is Destination.UNKNOWN:
        assert "send_lead" not in got and "keep_in_touch" not in got


def test_onboarding_is_tailored_against_the_named_competitor() -> None:
    a = answers(replacement=Replacement.EXTERNAL_COMPETITOR, competitor="  Initech ")
    [step] = [s for s in derive_plan(a, NO_POLICY, PlanContext()) if s.key.startswith("onb")]
    assert step.text == "Full onboarding tailored against Initech"


def test_leaving_the_space_is_high_risk_even_with_cover() -> None:
    a = answers(coverage=Coverage.OTHER_CONTACT, other_contact_name="Lee")
    assert risk_level(a) == "medium"
    assert risk_level(replace(a, role_fate=RoleFate.LEAVING_SPACE)) == "high"
    assert combined_risk(["medium", "high"]) == "high"
    assert combined_risk(["medium"]) == "medium"


def test_policy_steps_by_segment_and_arr_band_come_after_the_built_in_ones() -> None:
    policy = parse_turnover_policy(
        {
            "plans": [
                {"segment": "Enterprise", "min_arr": 100000, "steps": ["Exec sponsor call"]},
                {"max_arr": 5000, "steps": ["Send the self-serve onboarding guide"]},
                {
                    "replacement": ["external_new", "external_competitor"],
                    "steps": [{"text": "QBR in 30 days", "assignee": "csm", "key": "qbr"}],
                },
            ]
        }
    )
    people = {"owner": "U0OWN", "csm": "U0CSM"}
    big = derive_plan(
        answers(replacement=Replacement.EXTERNAL_NEW),
        policy,
        PlanContext(arr=Decimal(250000), segment="enterprise", people=people),
    )
    assert [s.text for s in big[-2:]] == ["Exec sponsor call", "QBR in 30 days"]
    assert big[-1].assignee == "U0CSM" and big[-1].key == "policy_qbr"
    small = keys(answers(), policy, arr=Decimal(1200), segment="smb")
    assert len([k for k in small if k.startswith("policy_")]) == 1
    assert keys(answers(), policy) == keys(answers())  # unknown ARR: no band matches


def test_rederive_keeps_done_steps_done_and_drops_undone_ones_no_longer_asked() -> None:
    before = new_plan(derive_plan(answers(), NO_POLICY, PlanContext()))
    ticked = [
        StepState(**{**s.__dict__, "done": True, "done_by": "U1", "done_at": LEARNED})
        if s.key in {"reach_boss_or_hr", "identify_replacement"}
        else s
        for s in before
    ]
    later = answers(replacement=Replacement.INTERNAL)
    after = rederive(ticked, derive_plan(later, NO_POLICY, PlanContext()))
    by_key = {s.key: s for s in after}
    assert by_key["identify_replacement"].done  # no longer asked, kept as a record
    assert by_key["reach_boss_or_hr"].done_by == "U1"
    assert not by_key["light_onboarding"].done
    assert [s.position for s in after] == list(range(len(after)))
    assert plan_progress(after) == 2 * 100 // len(after)


def test_progress_and_time_at_risk() -> None:
    assert percent_complete(0, 5) == 0
    assert percent_complete(1, 3) == 33
    assert percent_complete(2, 3) == 66
    assert percent_complete(3, 3) == 100
    assert percent_complete(0, 0) == 100
    with pytest.raises(ValueError):
        percent_complete(4, 3)
    assert time_at_risk(LEARNED, LEARNED + timedelta(days=9)) == timedelta(days=9)
    assert time_at_risk(LEARNED, LEARNED - timedelta(hours=1)) == timedelta(0)


def test_names_that_no_longer_apply_are_dropped_and_missing_ones_reported() -> None:
    a = answers(
        destination=Destination.ANOTHER_ROLE,
        competitor="Initech",
        coverage=Coverage.OTHER_CONTACT,
        other_contact_name="  ",
        contact_name=" ",
    )
    clean = a.normalized()
    assert clean.new_company is None and clean.competitor is None
    assert set(a.problems()) == {"contact_name", "other_contact_name"}
    assert answers().problems() == {}


# --- properties ------------------------------------------------------------------------------

names = st.text(alphabet="abcdefg XYZ'", min_size=1, max_size=20).filter(str.strip)
any_answers = st.builds(
    Answers,
    contact_name=names,
    learned_timing=st.sampled_from(Learned),
    coverage=st.sampled_from(Coverage),
    destination=st.sampled_from(Destination),
    role_fate=st.sampled_from(RoleFate),
    replacement=st.sampled_from(Replacement),
    other_contact_name=st.none() | names,
    new_company=st.none() | names,
    competitor=st.none() | names,
)


@settings(deadline=None)  # a busy machine must not fail a correct rule
@given(any_answers)
def test_every_plan_has_steps_with_unique_keys(a: Answers) -> None:
    plan = derive_plan(a, NO_POLICY, PlanContext())
    assert plan
    assert len({s.key for s in plan}) == len(plan)
    assert all(len(s.key) <= 64 for s in plan)


@settings(deadline=None)  # a busy machine must not fail a correct rule
@given(any_answers, any_answers, st.sets(st.integers(min_value=0, max_value=9)))
def test_rederiving_never_undoes_a_done_step(
    first: Answers, second: Answers, done: set[int]
) -> None:
    plan = new_plan(derive_plan(first, NO_POLICY, PlanContext()))
    plan = [
        StepState(**{**s.__dict__, "done": True, "done_by": "U1", "done_at": LEARNED})
        if i in done
        else s
        for i, s in enumerate(plan)
    ]
    after = rederive(plan, derive_plan(second, NO_POLICY, PlanContext()))
    done_before = {s.key: replace(s, position=0) for s in plan if s.done}
    done_after = {s.key: replace(s, position=0) for s in after if s.done}
    assert done_after == done_before
    assert {s.key for s in derive_plan(second, NO_POLICY, PlanContext())} <= {s.key for s in after}
    assert len({s.key for s in after}) == len(after)
    assert 0 <= plan_progress(after) <= 100


@settings(deadline=None)  # a busy machine must not fail a correct rule
@given(any_answers)
def test_rederiving_the_same_answers_changes_nothing(a: Answers) -> None:
    plan = new_plan(derive_plan(a, NO_POLICY, PlanContext()))
    assert rederive(plan, derive_plan(a, NO_POLICY, PlanContext())) == plan


@settings(deadline=None)  # a busy machine must not fail a correct rule
@given(st.integers(min_value=0, max_value=500), st.integers(min_value=0, max_value=500))
def test_progress_is_monotonic_and_only_full_when_all_done(done: int, extra: int) -> None:
    total = done + extra
    pct = percent_complete(done, total)
    assert 0 <= pct <= 100
    assert (pct == 100) == (done == total)
    if done < total:
        assert percent_complete(done + 1, total) >= pct
