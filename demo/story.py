"""The guided story: ten steps, each ticked when what the demo saw matches its rules.

Rules live in `demo/data/story.json`, so a step for a feature that is not built yet simply
stays unticked and ticks once the feature lands, without changing code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

STORY_FILE = Path(__file__).parent / "data" / "story.json"


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    hint: str
    when: tuple[tuple[str, dict[str, re.Pattern[str]]], ...]


@lru_cache(maxsize=1)
def load_steps(path: Path = STORY_FILE) -> tuple[Step, ...]:
    """Parse the story file; raises ValueError naming a step whose rule is malformed."""
    steps = []
    for raw in json.loads(path.read_text(encoding="utf-8"))["steps"]:
        conditions = []
        for condition in raw["when"]:
            ((source, fields),) = condition.items()
            if source not in ("in", "call"):
                raise ValueError(f"story step {raw['id']}: unknown source {source!r}")
            conditions.append((source, {k: re.compile(v) for k, v in fields.items()}))
        steps.append(Step(raw["id"], raw["title"], raw["hint"], tuple(conditions)))
    return tuple(steps)


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _matches(record: Mapping[str, Any], fields: dict[str, re.Pattern[str]]) -> bool:
    return all(pattern.search(_text(record.get(key))) for key, pattern in fields.items())


def progress(
    inbound: Iterable[Mapping[str, Any]], calls: Iterable[Mapping[str, Any]]
) -> list[dict]:
    """Each step with ``done``: true when every condition matched some record.

    ``inbound`` are the requests the page sent (with ``kind``); ``calls`` are the stand-in's
    recorded Web API calls as ``{"method": ..., **args}``.
    """
    sources = {"in": list(inbound), "call": list(calls)}
    return [
        {
            "id": step.id,
            "title": step.title,
            "hint": step.hint,
            "done": all(
                any(_matches(record, fields) for record in sources[source])
                for source, fields in step.when
            ),
        }
        for step in load_steps()
    ]
