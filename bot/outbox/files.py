"""File uploads from the outbox: the row names what to draw, the bytes are made at delivery.

The transport's `upload` (slack_sdk's `files_upload_v2` in slack_edge) shares the file only
with its last call, so a retry after a failure half-way leaves nothing visible behind, and
a row is delivered by one claimer at a time, so a chart is not uploaded twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.ports import SlackTransport

FILE_UPLOAD = "files.upload_v2"
AFTER_PARENT = "_after_parent"  # sent after the parent, beside it rather than in its thread

FileSource = Callable[[dict[str, Any]], tuple[bytes, str, str]]
"""Makes an upload's (bytes, filename, title) from its row's arguments; raises
LookupError or ValueError when it cannot (the row then fails for good)."""


class FileUnavailable(Exception):
    """The file of an upload row cannot be made (no source, or its data is gone)."""


def upload_file(slack: SlackTransport, files: FileSource | None, args: dict[str, Any]) -> dict:
    """Upload the row's file into `args["channel"]` (and `thread_ts`, if set); returns the
    channel and the file's permalink. Raises FileUnavailable, or what the transport raises
    (SlackError, OSError) for the deliverer to classify as retry or failure."""
    if files is None:
        raise FileUnavailable("no file source for uploads")
    try:
        content, filename, title = files(args)
    except (LookupError, ValueError) as err:
        raise FileUnavailable(f"cannot make the file: {err}") from err
    channel = args["channel"]
    shared = slack.upload(channel, content, filename, title, args.get("thread_ts"))
    return {"channel": channel, "permalink": shared.get("permalink")}
