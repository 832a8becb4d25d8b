"""Custom workflow steps (Slack's "functions"): a workflow runs a step, Slack sends the app
a `function_executed` event with the inputs and a token for that execution, and the app
ends it once with `functions.completeSuccess` (outputs checked against the step's declared
output parameters) or `functions.completeError`.

Shapes and error codes are Slack's (https://api.slack.com/events/function_executed,
https://api.slack.com/methods/functions.completeSuccess, .../functions.completeError).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from demo.standin.records import APP_ID
from demo.standin.validation import Args, Reply, SlackError, require


@dataclass
class StepDefinition:
    """A step as the app's manifest declares it (`functions.<callback_id>`)."""

    callback_id: str
    inputs: dict[str, dict]
    required_inputs: list[str]
    outputs: dict[str, dict]
    required_outputs: list[str]

    @classmethod
    def from_manifest(cls, callback_id: str, declared: dict) -> StepDefinition:
        ins = declared.get("input_parameters") or {}
        outs = declared.get("output_parameters") or {}
        return cls(
            callback_id,
            dict(ins.get("properties") or {}),
            list(ins.get("required") or []),
            dict(outs.get("properties") or {}),
            list(outs.get("required") or []),
        )


@dataclass
class Execution:
    execution_id: str
    callback_id: str
    token: str
    inputs: dict[str, Any]
    state: str = "running"  # running, completed, failed
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class FunctionMethods:
    """Mixin of SlackStandin: the steps it knows and their executions."""

    _lock: threading.RLock

    def _reset_functions(self) -> None:
        self._steps: dict[str, StepDefinition] = {}
        self._executions: dict[str, Execution] = {}
        self._exec_ids = itertools.count(1)

    def declare_steps(self, manifest: dict) -> None:
        """Learn the steps a manifest declares (its `functions` section)."""
        with self._lock:
            for callback_id, declared in (manifest.get("functions") or {}).items():
                self._steps[callback_id] = StepDefinition.from_manifest(callback_id, declared)

    def run_step(self, callback_id: str, inputs: dict[str, Any]) -> dict:
        """A workflow reached the step: the `function_executed` event to send to the app.
        Raises ValueError when the step is not declared or a required input is missing
        (Workflow Builder would not let the workflow be published)."""
        with self._lock:
            step = self._steps.get(callback_id)
            if step is None:
                raise ValueError(f"no step {callback_id!r} is declared in the manifest")
            missing = [name for name in step.required_inputs if inputs.get(name) in (None, "")]
            if missing:
                raise ValueError(f"required inputs missing: {missing}")
            n = next(self._exec_ids)
            execution = Execution(
                f"Fx{n:010d}", callback_id, f"xwfp-{n}-{time.monotonic_ns()}", inputs
            )
            self._executions[execution.execution_id] = execution
        return {
            "type": "function_executed",
            "function": {
                "id": f"Fn{callback_id.upper()[:8]}",
                "callback_id": callback_id,
                "title": callback_id,
                "type": "app",
                "app_id": APP_ID,
                "input_parameters": [{"name": k, **v} for k, v in step.inputs.items()],
                "output_parameters": [{"name": k, **v} for k, v in step.outputs.items()],
            },
            "inputs": dict(inputs),
            "function_execution_id": execution.execution_id,
            "workflow_execution_id": f"Wx{n:010d}",
            "event_ts": f"{int(time.time())}.{n:06d}",
            "bot_access_token": execution.token,
        }

    def execution(self, execution_id: str) -> Execution:
        with self._lock:
            return self._executions[execution_id]

    def _running(self, args: Args) -> Execution:
        require(args, "function_execution_id")
        execution = self._executions.get(str(args["function_execution_id"]))
        if execution is None:
            raise SlackError("function_execution_not_found")
        if execution.state != "running":
            raise SlackError("execution_not_in_running_state")
        return execution

    def _functions_complete_success(self, args: Args) -> Reply:
        execution = self._running(args)
        outputs = args.get("outputs")
        if not isinstance(outputs, dict):
            raise SlackError("invalid_arguments", ["[ERROR] outputs must be an object"])
        step = self._steps[execution.callback_id]
        problems = [
            f"missing required output: {n}" for n in step.required_outputs if n not in outputs
        ]
        problems += [f"unknown output: {n}" for n in outputs if n not in step.outputs]
        if problems:
            raise SlackError("parameter_validation_failed", problems)
        execution.state, execution.outputs = "completed", dict(outputs)
        return {}

    def _functions_complete_error(self, args: Args) -> Reply:
        execution = self._running(args)
        require(args, "error")
        execution.state, execution.error = "failed", str(args["error"])
        return {}
