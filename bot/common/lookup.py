"""Finding the account someone means: an external id, an exact name, or a unique prefix.
Matches are frozen `AccountView`s, safe to hand to handlers after the session closes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.cases.models import AccountView
from storage import accounts as store
from storage.search import search_key


@dataclass(frozen=True)
class AccountMatch:
    """`account` when exactly one matches; otherwise the candidates (empty: none matched)."""

    typed: str
    account: AccountView | None = None
    candidates: list[AccountView] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        return self.account is None and len(self.candidates) > 1


def find_account(session: Session, typed: str) -> AccountMatch:
    """The account `typed` names: its external id, else its exact name (any case, accents
    optional), else the only name it begins."""
    typed = typed.strip()
    if not typed:
        return AccountMatch(typed)
    account = store.by_external_id(session, typed)
    if account is not None:
        return AccountMatch(typed, AccountView.of(account))
    exact = store.by_exact_name(session, typed)
    candidates = [AccountView.of(a) for a in exact or store.by_name_prefix(session, typed)]
    if len(candidates) == 1:
        return AccountMatch(typed, candidates[0])
    return AccountMatch(typed, None, candidates)


def accounts_named_in(session: Session, text: str) -> list[int]:
    """Ids of the accounts a message names, by external id or full name (word-bounded).

    Names compare by their search key (any case, accents optional: storage.search).
    """
    lowered = text.lower()
    folded = search_key(text)
    found: list[int] = []
    for account_id, external_id, name_key in store.all_keys(session):
        candidates = [(external_id.lower(), lowered), (name_key, folded)]
        for key, haystack in candidates:
            if key and re.search(rf"(?<!\w){re.escape(key)}(?!\w)", haystack):
                found.append(account_id)
                break
    return found
