"""The survey beside its own reminders on PostgreSQL: each writer of a case's `details`
holds the case row first, so neither writes back a copy older than the other's commit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.common.clock import FakeClock
from bot.survey import schedule
from storage.models import ScheduledStep, SurveyAnswer
from storage.vocab import StepState
from tests.conftest import PG_URL, RunningApp, stored_case
from tests.interleave import while_held
from tests.survey.test_survey_http import (
    app,
    buttons,
    churn,
    open_case,
    open_modal,
    policy,
)
from tests.survey.test_survey_http import submit as submit_survey

__all__ = ["app", "policy"]  # the survey tests' fixtures: their policy, and acme

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="SQLite's one writer never interleaves transactions"
)


def test_a_survey_answered_while_its_reminder_is_queued_retires_that_reminder(
    app: RunningApp, clock: FakeClock
) -> None:
    """The owner submits the survey while its reminder is being queued: the submit waits for
    the reminder's step and then sees its DM, so that DM's button gives way as well, and the
    root shows the root cause (a copy of the case read before the step committed would not
    list the DM, and one side's `details` would be written back over the other's)."""
    case_id = open_case(app)
    answer = churn(app, case_id)
    view = open_modal(app, "survey_fill", answer.id, "U0AE")
    root_id = stored_case(app, case_id).root_message_id
    assert root_id is not None
    clock.advance(timedelta(minutes=61))  # acknowledge_within = 1h: the reminder is due

    def answered() -> None:
        assert submit_survey(app, view, "U0AE", cause="price_value") == {}

    while_held(app, root_id, app.services.run_steps, answered)
    asks = [m for m in app.standin.messages("D0AE") if "survey_" in json.dumps(m["blocks"])]
    assert len(asks) == 2, "the ask and its reminder"
    assert [buttons(m) for m in asks] == [[("Edit survey", "survey_edit")]] * 2
    survey = stored_case(app, case_id).details["survey"]
    assert survey == {"root_cause": "Price too high for the value", "competitor": None}


def test_a_reminder_step_that_read_the_survey_before_it_was_answered_says_nothing(
    app: RunningApp, clock: FakeClock
) -> None:
    """The reminder's step read the survey as still asked, and the owner answered it before
    the step held the case: the step reads the survey again once it holds the case, and
    says nothing (the submit holds the case first, so the step waited for its commit)."""
    case_id = open_case(app)
    answer = churn(app, case_id)
    view = open_modal(app, "survey_fill", answer.id, "U0AE")
    clock.advance(timedelta(minutes=61))  # the reminder is due
    with app.services.db.session() as session:
        pending = ScheduledStep.state == StepState.PENDING
        stmt = select(ScheduledStep).where(ScheduledStep.kind == schedule.NUDGE, pending)
        step = session.scalars(stmt).one()
        seen = session.get(SurveyAnswer, answer.id)
        assert seen is not None and seen.status == "asked"  # read before the answer
        assert submit_survey(app, view, "U0AE", cause="price_value") == {}  # the app's thread
        app.services.survey_steps.nudge(session, step, clock.now())
    app.tick()
    reminders = [m for m in app.standin.messages("D0AE") if "survey is still" in m["text"]]
    assert reminders == []
