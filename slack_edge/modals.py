"""The one modal builder and the typed `private_metadata` each modal carries.

Slack hands `private_metadata` back untouched on submission (a string of at most 3000
characters, Slack docs: views). Every modal about a case carries `CaseMeta`, every modal about
an offer `OfferMeta`, encoded as versioned JSON (`{"v": 1, ...}`); a payload without `v` is
read as version 1, the shape written before versions existed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from slack_sdk.models.views import View

METADATA_VERSION = 1


@dataclass(frozen=True)
class CaseMeta:
    """The case a modal acts on."""

    case_id: int


@dataclass(frozen=True)
class OfferMeta:
    """The save offer a modal acts on."""

    offer_id: int


@dataclass(frozen=True)
class SurveyMeta:
    """The cancellation survey (one churn of a case) a modal fills in or edits."""

    answer_id: int


Meta = TypeVar("Meta", CaseMeta, OfferMeta, SurveyMeta)


def encode(meta: CaseMeta | OfferMeta | SurveyMeta) -> str:
    """`private_metadata` text for a modal."""
    return json.dumps({"v": METADATA_VERSION} | asdict(meta))


def decode(kind: type[Meta], text: str | None) -> Meta:
    """Read `private_metadata` back; raises ValueError if it is not this kind's shape."""
    data = json.loads(text or "{}")
    if not isinstance(data, dict) or data.get("v", 1) != METADATA_VERSION:
        raise ValueError(f"unreadable private_metadata: {text!r}")
    try:
        return kind(**{name: int(data[name]) for name in kind.__dataclass_fields__})
    except (KeyError, TypeError) as err:
        raise ValueError(f"private_metadata lacks {err}") from None


def modal(
    callback: str,
    title: str,
    submit: str,
    blocks: list[Any],
    metadata: CaseMeta | OfferMeta | SurveyMeta | str | None = None,
) -> dict:
    """A modal view (limits checked by slack_sdk before Slack sees it), closed by "Cancel"."""
    text = metadata if isinstance(metadata, str) or metadata is None else encode(metadata)
    return View(
        type="modal",
        callback_id=callback,
        title=title,
        submit=submit,
        close="Cancel",
        private_metadata=text,
        blocks=blocks,
    ).to_dict()
