"""Changes to one case beside changes to another on PostgreSQL: whoever rewrites a case's
`details` holds its row first, so none writes back a copy older than another's commit."""

from __future__ import annotations

import pytest

from bot.cases.lifecycle import MOVE_ON_REQUEST
from bot.cases.models import Signal
from tests.conftest import PG_URL, RunningApp, seed_account, stored_case
from tests.interleave import while_held

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="SQLite's one writer never interleaves transactions"
)


def test_a_move_on_asked_while_the_csm_is_removed_still_waits_for_a_manager(
    running_app: RunningApp,
) -> None:
    """A manager removes the account's CSM from its churn case, which changes every open
    case of the account (the churn case's first), while the owner of its payment case asks
    to move on from that one: the request waits for the removal and then stands (a copy of
    the payment case read before the request, written back by the removal, would drop it,
    and no manager could confirm)."""
    app = running_app
    account = seed_account(app.services, "acme", "Acme Corp")
    cases = app.services.cases
    churn = cases.open(account, Signal(kind="cancellation", source="test")).case_id
    payment = cases.open(account, Signal(kind="payment_failed", source="test")).case_id
    app.tick()
    root_id = stored_case(app, churn).root_message_id  # the removal waits there, on its way
    assert root_id is not None and churn < payment
    owner = stored_case(app, payment).owner
    assert owner is not None

    def removed() -> None:
        cases.remove_csm(churn, "U0MGR", "abusive customer")

    def asked() -> None:
        cases.close(payment, owner, "moved_on", "out of business")

    while_held(app, root_id, removed, asked)
    case = stored_case(app, payment)
    assert case.csm is None and case.details[MOVE_ON_REQUEST]["by"] == owner
    cases.confirm_move_on(payment, "U0MGR", confirm=True)
    assert stored_case(app, payment).status == "moved_on"
