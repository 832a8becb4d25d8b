"""Search keys: how a name is folded so look-ups match the way people type.

SQLite's `lower()` and `LIKE` fold ASCII only, so `ärz` never found `Ärztehaus Nord`
there while PostgreSQL did. Folding in Python, once, when a name is written, makes both
databases compare the same stored key with plain `=` and `LIKE 'key%'` (indexed).
"""

from __future__ import annotations

import unicodedata

SEARCH_KEY_LENGTH = 300  # characters, as long as an account name


def search_key(text: str) -> str:
    """`text` folded for matching: NFKC, full Unicode case folding, accents dropped.

    `Ärztehaus Nord`, `ÄRZTEHAUS  nord` and `arztehaus nord` share one key; `Straße` and
    `STRASSE` too (case folding turns ß into ss); full-width letters become ASCII (NFKC).
    Whitespace runs become one space. Accents are dropped by decomposing (NFKD) and
    removing combining marks, so people may type a name without them.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFKC", bare).split())[:SEARCH_KEY_LENGTH]


def like_prefix(key: str) -> str:
    """A LIKE pattern matching keys that start with `key` (wildcards in it escaped by \\)."""
    return key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
