"""The one modal builder and the typed `private_metadata` each modal carries.

Slack hands `private_metadata` back untouched on submission (a string of at most 3000
characters, Slack docs: views). Every modal about a case carries `CaseMeta`, every modal about
an offer `OfferMeta`, the new-case modal `NewCaseMeta`, encoded as versioned JSON
(`{"v": 1, ...}`); a payload without `v` is read as version 1, the shape written before
versions existed.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

from slack_sdk.models.views import View

from bot.common.clock import as_utc

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


@dataclass(frozen=True)
class RenewalMeta:
    """The pre-renewal check a modal answers."""

    check_id: int


@dataclass(frozen=True)
class NewCaseMeta:
    """Where a new-case modal came from: `source` names the way in (`/churn`, a message
    shortcut, a watched channel); `response_url` answers the command's author; `channel`,
    `ts` and `thread_ts` name the Slack message the case is opened from (Slack timestamps);
    `response_url_issued`: when Slack issued `response_url` (ISO 8601, UTC)."""

    source: str = "modal"
    response_url: str | None = None
    response_url_issued: str | None = None
    link: str | None = None
    channel: str | None = None
    ts: str | None = None
    thread_ts: str | None = None


@dataclass(frozen=True)
class CheckinMeta:
    """The save check-in a Downgraded modal answers."""

    checkin_id: int


AnyMeta = CaseMeta | OfferMeta | SurveyMeta | RenewalMeta | NewCaseMeta | CheckinMeta
Meta = TypeVar("Meta", CaseMeta, OfferMeta, SurveyMeta, RenewalMeta, NewCaseMeta, CheckinMeta)


def encode(meta: AnyMeta) -> str:
    """`private_metadata` text for a modal; fields left as None are not written."""
    written = {name: value for name, value in asdict(meta).items() if value is not None}
    return json.dumps({"v": METADATA_VERSION} | written)


def _field(data: dict[str, Any], name: str, kind: str, default: Any) -> Any:
    if name not in data:
        if default is MISSING:
            raise KeyError(name)
        return default
    value = data[name]
    if value is None:
        return None
    return int(value) if kind == "int" else str(value)


def decode(kind: type[Meta], text: str | None) -> Meta:
    """Read `private_metadata` back; raises ValueError if it is not this kind's shape."""
    data = json.loads(text or "{}")
    if not isinstance(data, dict) or data.get("v", 1) != METADATA_VERSION:
        raise ValueError(f"unreadable private_metadata: {text!r}")
    try:
        return kind(**{f.name: _field(data, f.name, str(f.type), f.default) for f in fields(kind)})
    except (KeyError, TypeError) as err:
        raise ValueError(f"private_metadata lacks {err}") from None


def issued_at(stamp: str | None) -> datetime | None:
    """A `response_url_issued` as the metadata carries it, read back (UTC); None when it is
    missing or unreadable (a modal opened before it was written): the answer's 30 minutes
    then count from when it is queued."""
    try:
        return as_utc(datetime.fromisoformat(stamp)) if stamp else None
    except ValueError:
        return None


def modal(
    callback: str,
    title: str,
    submit: str,
    blocks: list[Any],
    metadata: AnyMeta | str | None = None,
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
