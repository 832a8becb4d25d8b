"""The Workflow Builder step "Open churn case" (manifest.yml `functions`): Bolt hands the
`function_executed` event here (and acknowledges it); bot/signals/workflow.py opens the case
and queues the step's completion after the thread. A bad input or a failure ends the step
through `functions.completeError`, which Workflow Builder shows the workflow's owner.
https://api.slack.com/automation/functions/custom-bolt
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Fail

from bot.runtime.services import Services
from bot.signals.workflow import STEP, StepInputError, parse_inputs
from handlers.errors import new_reference

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    step = services.workflow

    @app.function(STEP)
    def open_churn_case(inputs: dict[str, Any], event: dict[str, Any], fail: Fail) -> None:
        try:
            step.run(parse_inputs(str(event.get("function_execution_id")), inputs, None))
        except StepInputError as why:
            fail(error=f"Savedesk could not open the case: {why}")
        except Exception:
            ref = new_reference()
            log.exception("workflow step failed, reference %s", ref)
            fail(error=f"Savedesk could not open the case (reference {ref}); try again")
