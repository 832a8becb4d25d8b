"""What Slack says about a person never replaces newer stored facts: Slack's `updated` (Unix
seconds) orders them, since a retried event can arrive after a newer one."""

from __future__ import annotations

from datetime import timedelta

from bot.common.clock import FakeClock
from bot.people.standing import PersonFacts, Standing
from bot.runtime.services import Services
from demo.standin import SlackStandin
from storage.tables.people import SlackUser


def stored(services: Services, user: str) -> tuple[bool, int]:
    with services.db.read() as session:
        row = session.get(SlackUser, user)
        assert row is not None
        return row.deleted, row.slack_updated


def test_older_facts_are_not_kept_and_equal_or_newer_or_unknown_ones_are(
    services: Services,
) -> None:
    directory = services.directory
    assert directory.learn(PersonFacts("U0ANA", deleted=True, updated=200))
    assert not directory.learn(PersonFacts("U0ANA", updated=100)), "older: not kept"
    assert stored(services, "U0ANA") == (True, 200)
    assert directory.learn(PersonFacts("U0ANA", deleted=True, updated=200)), "equal: kept"
    assert directory.learn(PersonFacts("U0ANA")), "unknown age: kept"
    assert stored(services, "U0ANA") == (False, 200), "the stored age stays"
    assert not directory.learn(PersonFacts("U0ANA", deleted=True, updated=150))
    assert directory.learn(PersonFacts("U0ANA", deleted=True, updated=300))
    assert stored(services, "U0ANA") == (True, 300)


def test_users_info_answers_carry_updated_and_are_compared_the_same_way(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    standin.add_user("U0BEN", updated=500)
    assert services.directory.person("U0BEN").standing is Standing.ACTIVE
    assert stored(services, "U0BEN") == (False, 500)
    assert not services.directory.learn(PersonFacts("U0BEN", deleted=True, updated=400))
    standin.change_user("U0BEN", deleted=True, updated=600)
    clock.advance(timedelta(hours=2))
    assert services.directory.person("U0BEN").standing is Standing.DEACTIVATED
    assert stored(services, "U0BEN") == (True, 600)
