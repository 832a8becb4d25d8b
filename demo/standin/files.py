"""files.getUploadURLExternal → POST to the upload URL → files.completeUploadExternal:
the three steps of slack_sdk's ``files_upload_v2``
(https://api.slack.com/messaging/files#uploading_files)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from demo.standin.records import Call, HttpReply, UploadedFile, file_summary
from demo.standin.validation import Args, Reply, SlackError, as_list, require


class FileMethods:
    """Mixin of SlackStandin: uploads, and the message each completed upload posts."""

    _changed: threading.Condition
    _files: dict[str, UploadedFile]

    if TYPE_CHECKING:

        @property
        def base_url(self) -> str: ...
        def _next_id(self, prefix: str) -> str: ...
        def _next_ts(self) -> str: ...
        def _record(self, call: Call) -> None: ...
        def _store_message(self, channel: str, ts: str, args: Args) -> dict: ...

    def _files_get_upload_url(self, args: Args) -> Reply:
        require(args, "filename", "length")
        try:
            length = int(args["length"])
        except (TypeError, ValueError) as exc:
            raise SlackError("invalid_arguments", ["[ERROR] length must be an integer"]) from exc
        file_id = self._next_id("F")
        self._files[file_id] = UploadedFile(file_id, str(args["filename"]), length)
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: Args) -> Reply:
        require(args, "files")
        entries = args["files"]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise SlackError("invalid_arguments", ["[ERROR] files must be a JSON array"])
        channels = as_list(args.get("channels")) or as_list(args.get("channel_id"))
        done = [self._complete_file(entry, channels, args.get("thread_ts")) for entry in entries]
        summaries = [file_summary(f, self.base_url) for f in done]
        for channel in channels:
            self._store_message(
                channel,
                self._next_ts(),
                {"text": args.get("initial_comment"), "thread_ts": args.get("thread_ts")}
                | {"files": summaries},
            )
        return {"files": summaries}

    def _complete_file(self, entry: dict, channels: list[str], thread_ts: object) -> UploadedFile:
        upload = self._files.get(str(entry.get("id")))
        if upload is None or upload.content is None:
            raise SlackError("file_not_found")
        upload.title = entry.get("title") or upload.filename
        upload.channels, upload.thread_ts, upload.completed = channels, thread_ts, True  # type: ignore[assignment]
        return upload

    def _upload(self, file_id: str, body: bytes) -> HttpReply:
        """The upload URL: takes the file's bytes (the length announced must match)."""
        with self._changed:
            upload = self._files.get(file_id)
            self._record(Call("upload", {"file_id": file_id, "length": len(body)}, {}))
            if upload is None:
                return HttpReply.of_text(404, "not_found")
            if upload.length and len(body) != upload.length:
                return HttpReply.of_text(400, "length_mismatch")
            upload.content = body
            self._changed.notify_all()
        return HttpReply.of_text(200, f"OK - {len(body)}")

    def _download(self, file_id: str) -> HttpReply:
        """``url_private``: the uploaded bytes, so a client can show the image."""
        with self._changed:
            upload = self._files.get(file_id)
            if upload is None or not upload.completed or upload.content is None:
                return HttpReply.of_text(404, "file_not_found")
            kind = (
                "image/png"
                if upload.filename.lower().endswith(".png")
                else "application/octet-stream"
            )
            return HttpReply(200, upload.content, content_type=kind)
