"""Competitor names as people type them, and the one form they are counted by.

"Rivalsoft", "rivalsoft " and a full-width RIVALSOFT are one competitor: the key is the name
NFKC-normalised (full-width and compatibility characters folded), case-folded, stripped,
with inner runs of whitespace collapsed to one space. What was typed is kept for display.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

NAME_MAX = 75
"""A competitor is picked from an external select, whose option text holds at most 75
characters (Block Kit reference, *Option object*)."""


def clean(name: str | None) -> str | None:
    """The name as typed, tidied for display (NFKC, outer and repeated spaces removed);
    None when nothing is left."""
    if name is None:
        return None
    text = " ".join(unicodedata.normalize("NFKC", name).split())
    return text or None


def normalise(name: str | None) -> str | None:
    """The counting key: the cleaned name, case-folded (then NFKC again, since case folding
    can produce compatibility characters). None for an empty name."""
    text = clean(name)
    if text is None:
        return None
    return unicodedata.normalize("NFKC", text.casefold())


def suggestions(typed: str, known: Iterable[str], limit: int = 20) -> list[str]:
    """Type-ahead options: competitors named before that match what is being typed, with
    what was typed itself first when it is a new name (so a first mention can be picked)."""
    key = normalise(typed) or ""
    seen: set[str] = set()
    matches: list[str] = []
    for name in known:
        name_key = normalise(name)
        if name_key and key in name_key and name_key not in seen:
            seen.add(name_key)
            matches.append(name)
    new = clean(typed)
    if new is not None and key not in seen:
        matches.insert(0, new[:NAME_MAX])
    return matches[:limit]
