"""MkDocs hook: adds the policy reference page, generated from the policy model at build time
(docs/gen_policy.py), so it cannot drift from what `bot.policy` accepts."""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add `policy.md`, built from `bot.policy.models`'s dataclasses."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from docs.gen_policy import policy_reference

    committed = files.get_file_from_path("policy.md")
    if committed is not None:
        files.remove(committed)
    files.append(File.generated(config, "policy.md", content=policy_reference()))
    return files
