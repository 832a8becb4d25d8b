"""People: Slack user IDs, emails and @groups, resolved to user IDs with a short cache.

The policy and CSV files name people the way humans do; Slack needs user IDs.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.ports import PeopleLookup, SlackError
from storage import people as cache
from storage.db import Database

log = logging.getLogger(__name__)
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CACHE_FOR = timedelta(minutes=15)


class PersonNotFound(LookupError):
    """A reference that Slack does not know; the message says which and why."""


def is_user_id(ref: str) -> bool:
    return bool(USER_ID.match(ref))


def is_email(ref: str) -> bool:
    return bool(EMAIL.match(ref))


class Directory:
    """Resolves people references through the Slack Web API, caching answers in the DB."""

    def __init__(self, db: Database, lookup: PeopleLookup, clock: Clock) -> None:
        self.db = db
        self.lookup = lookup
        self.clock = clock

    def resolve(self, ref: str) -> list[str]:
        """User IDs behind a reference; raises PersonNotFound with a readable reason."""
        ref = ref.strip()
        if is_user_id(ref):
            return [ref]
        key = ref.lower()
        now = self.clock.now()
        with self.db.read() as session:
            hit = cache.cached(session, key, now - CACHE_FOR)
            stale = cache.cached(session, key, datetime.min.replace(tzinfo=UTC))
        if hit is not None:
            return hit
        try:
            user_ids = self._lookup(ref)
        except (SlackError, OSError):
            if stale is None:
                raise
            log.warning("Slack did not answer for %s; using what it said before", ref)
            return stale
        with self.db.session() as session:
            cache.remember(session, key, user_ids, now)
        return user_ids

    def resolve_one(self, ref: str) -> str:
        found = self.resolve(ref)
        if not found:
            raise PersonNotFound(f"{ref} has nobody in it")
        return found[0]

    def _lookup(self, ref: str) -> list[str]:
        if ref.startswith("@"):
            return self._group(ref[1:])
        if is_email(ref):
            return [self._email(ref)]
        raise PersonNotFound(f"{ref!r} is not a Slack user ID, an email or an @group")

    def _email(self, email: str) -> str:
        user_id = self.lookup.user_by_email(email)
        if user_id is None:
            raise PersonNotFound(f"no Slack user has the email {email}")
        return user_id

    def _group(self, handle: str) -> list[str]:
        users = self.lookup.group_members(handle)
        if users is None:
            raise PersonNotFound(f"no Slack user group has the handle @{handle}")
        return users
