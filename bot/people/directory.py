"""People: Slack user IDs, emails and @groups, resolved to user IDs with a short cache;
and each user's standing (active, deactivated, bot, another organisation), from Slack.

The policy and CSV files name people the way humans do; Slack needs user IDs. Only real
people hold roles or act on cases (bot/people/standing.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot.common.clock import Clock
from bot.people.standing import HomeTeam, Person, PersonFacts, Standing
from bot.ports import PeopleLookup, SlackError
from storage import people as cache
from storage import slack_users
from storage.db import Database
from storage.tables.people import SlackUser

log = logging.getLogger(__name__)

SLACK_QUIET = timedelta(seconds=60)
"""How long Slack is not asked about people after it failed to answer."""
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CACHE_FOR = timedelta(minutes=15)
STANDING_FRESH = timedelta(hours=1)
"""How long what Slack said about a user is trusted before `users.info` is asked again;
`user_change` and `team_join` events keep it true meanwhile."""


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
        self._home: HomeTeam | None = None
        self._unsaved: dict[str, tuple[PersonFacts, datetime]] = {}
        self._any_age: dict[str, Person] = {}
        self._quiet_until: datetime | None = None
        """After Slack failed to answer, it is not asked again before this (UTC): work that
        reads people (a tick, App Home) goes on with what Slack said before."""
        """Standings read with `fresh_for=None` in this process: asked again only after a
        `user_change` or `team_join` here (the people who type commands are rarely
        deactivated meanwhile: they could not type)."""

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

    # -- standing: is this a real person of this workspace? ----------------------------------

    def people(
        self,
        user_ids: Iterable[str],
        *,
        fresh_for: timedelta | None = STANDING_FRESH,
        write: bool = True,
    ) -> dict[str, Person]:
        """The standing of each user. Users Slack was not asked about within `fresh_for`
        (None: ever) are asked now with `users.info`, one call each, and remembered (in the
        database; with `write` False, in this process until a later call writes it: a
        command is acknowledged before any write); a user Slack cannot answer for keeps
        what it said before, else is UNASKED. Never call it inside a unit of work: it may
        wait on Slack."""
        wanted = list(dict.fromkeys(u for u in user_ids if u))
        if fresh_for is None and all(u in self._any_age for u in wanted):
            return {u: self._any_age[u] for u in wanted}  # acknowledgements read nothing
        now = self.clock.now()
        with self.db.read() as session:
            seen = {
                u: (_facts(r), r.checked_at) for u, r in slack_users.known(session, wanted).items()
            }
        unsaved = {u: self._unsaved[u] for u in wanted if u in self._unsaved}
        seen |= {u: f for u, f in unsaved.items() if u not in seen or f[1] > seen[u][1]}
        due = [
            u
            for u in wanted
            if u not in seen or (fresh_for is not None and seen[u][1] < now - fresh_for)
        ]
        learned = {f.user_id: (f, now) for f in self._ask_each(due)}
        seen |= learned
        if write and (learned or unsaved):
            with self.db.session() as session:
                for fact, at in (unsaved | learned).values():
                    slack_users.remember(session, vars(fact), at)
            for user in unsaved | learned:
                self._unsaved.pop(user, None)
        elif learned:
            self._unsaved |= learned
        home = self.home()
        people = {u: _person(u, seen[u][0] if u in seen else None, home) for u in wanted}
        if fresh_for is None:
            self._any_age |= {u: people[u] for u in wanted if u in seen}
        return people

    def person(
        self, user_id: str, *, fresh_for: timedelta | None = STANDING_FRESH, write: bool = True
    ) -> Person:
        """One user's standing (see `people`)."""
        return self.people([user_id], fresh_for=fresh_for, write=write)[user_id]

    def known(self, session: Session, user_ids: Iterable[str]) -> dict[str, Person]:
        """Standings already known, read inside the caller's unit of work (no Slack call);
        users never asked about are absent, for the caller to ask outside it."""
        home = self._home or HomeTeam()
        rows = slack_users.known(session, user_ids)
        return {u: _person(u, _facts(row), home) for u, row in rows.items()}

    def learn(self, facts: PersonFacts) -> bool:
        """What a `user_change` or `team_join` event says about a user, kept at once. False
        when what is stored is newer (Slack's `updated`; a retried event arrives late):
        then nothing is kept, and the caller must not act on these facts."""
        with self.db.session() as session:
            kept = slack_users.remember(session, vars(facts), self.clock.now())
        if kept:
            self._any_age.pop(facts.user_id, None)
        return kept

    def home(self) -> HomeTeam:
        """The installation's team (`auth.test`), asked once; empty while Slack cannot say
        (then only Slack's own `is_stranger` tells another organisation's people apart)."""
        if self._home is None:
            if self._slack_quiet():
                return HomeTeam()
            try:
                self._home = self.lookup.home_team()
            except (SlackError, OSError) as err:
                self._quiet_until = self.clock.now() + SLACK_QUIET
                log.warning("cannot ask Slack which team this is: %s", err)
                return HomeTeam()
        return self._home

    def _ask_each(self, user_ids: list[str]) -> list[PersonFacts]:
        """`users.info` for each user, in turn; once Slack fails to answer, the rest are not
        asked, nor is anyone for SLACK_QUIET (an outage costs one failed call, not one per
        person or per tick)."""
        learned: list[PersonFacts] = []
        if not user_ids or self._slack_quiet():
            return learned
        for user_id in user_ids:
            try:
                learned.append(self.lookup.user_info(user_id))
            except (SlackError, OSError) as err:
                self._quiet_until = self.clock.now() + SLACK_QUIET
                log.warning(
                    "cannot ask Slack about %s (nor %d more): %s",
                    user_id,
                    len(user_ids) - len(learned) - 1,
                    err,
                )
                break
        return learned

    def _slack_quiet(self) -> bool:
        return self._quiet_until is not None and self.clock.now() < self._quiet_until


def _facts(row: SlackUser) -> PersonFacts:
    return PersonFacts(
        user_id=row.user_id,
        found=row.found,
        team_id=row.team_id,
        enterprise_id=row.enterprise_id,
        teams=tuple(row.teams or ()),
        deleted=row.deleted,
        is_bot=row.is_bot,
        is_app_user=row.is_app_user,
        is_stranger=row.is_stranger,
        tz=row.tz,
        status_emoji=row.status_emoji,
        status_expiration=row.status_expiration or 0,
        updated=row.slack_updated or 0,
    )


def _person(user_id: str, facts: PersonFacts | None, home: HomeTeam) -> Person:
    return Person(user_id, facts.standing(home) if facts is not None else Standing.UNASKED)
