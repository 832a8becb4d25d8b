"""The dunning ladder pings real people only (docs/dunning.md, *The ladder*): a CSM who
is deactivated, a bot or of another organisation is never the one reminded; the managers
hear it instead, and the DM and the finance line say why. Over HTTP, at the stand-in: the
standing comes from Slack's `user_change` event, as in a real workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.people.standing import Standing
from tests.conftest import TEST_POLICY, RunningApp, eventually, seed_account, with_policy
from tests.finance.test_dunning import dms, finance_lines, import_invoices, late
from tests.slack_events import delivered


def slack_says(app: RunningApp, user: str, standing: Standing, **flags: Any) -> None:
    """An admin changes the member in Slack; Slack tells the app with `user_change`."""
    changed = app.standin.change_user(user, **flags)
    assert delivered(app.slack, {"type": "user_change", "user": changed}).status == 200

    def known() -> bool:
        with app.services.db.read() as session:
            person = app.services.directory.known(session, [user]).get(user)
        return person is not None and person.standing is standing

    eventually(known)


NOT_REAL = [
    (Standing.DEACTIVATED, {"deleted": True}, "is deactivated in Slack"),
    (Standing.BOT, {"is_bot": True}, "is a bot, not a person"),
    (
        Standing.EXTERNAL,
        {"team_id": "T0OTHER", "is_stranger": True},
        "belongs to another organisation (Slack Connect)",
    ),
]


@pytest.mark.parametrize(("standing", "flags", "why"), NOT_REAL, ids=lambda v: str(v)[:12])
def test_the_csm_step_skips_a_csm_who_is_not_a_real_person(
    running_app: RunningApp, tmp_path: Path, standing: Standing, flags: dict, why: str
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM")
    slack_says(app, "U0CSM", standing, **flags)
    import_invoices(app, tmp_path, [f"INV-31,acme,1000.00,USD,{late(app, 31)},open"])
    app.tick()
    assert dms(app, "U0CSM") == [], "never pinged as the acting person"
    (to_manager,) = dms(app, "U0MGR")
    assert "INV-31" in to_manager and f"<@U0CSM> (the account's CSM) {why}" in to_manager
    assert "the managers hear it instead" in to_manager
    assert "see that the client is reminded" in to_manager
    (line,) = finance_lines(app)
    assert "→ <@U0MGR>" in line and f"<@U0CSM> (the account's CSM) {why}" in line


def test_a_real_csm_is_reminded_as_before(running_app: RunningApp, tmp_path: Path) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM")
    slack_says(app, "U0CSM", Standing.ACTIVE, deleted=False)
    import_invoices(app, tmp_path, [f"INV-31,acme,1000.00,USD,{late(app, 31)},open"])
    app.tick()
    (to_csm,) = dms(app, "U0CSM")
    assert "remind the client" in to_csm and "instead" not in to_csm
    assert dms(app, "U0MGR") == []


def test_an_account_owner_step_falls_back_to_the_csm(
    running_app: RunningApp, tmp_path: Path
) -> None:
    policy = TEST_POLICY + "\n[dunning]\n[[dunning.steps]]\ndays_past_due = 30\n"
    policy += 'notify = "account_owner"\n'
    app = running_app
    app.services = with_policy(app.services, policy)
    seed_account(app.services, "acme", "Acme", csm="U0CSM", account_owner="U0AE")
    slack_says(app, "U0AE", Standing.DEACTIVATED, deleted=True)
    import_invoices(app, tmp_path, [f"INV-31,acme,1000.00,USD,{late(app, 31)},open"])
    app.services.tick()
    assert dms(app, "U0AE") == []
    (to_csm,) = dms(app, "U0CSM")
    assert "<@U0AE> (the account owner) is deactivated in Slack: <@U0CSM> hears it" in to_csm


@pytest.mark.parametrize(("standing", "flags", "why"), NOT_REAL, ids=lambda v: str(v)[:12])
def test_a_csm_slack_was_never_asked_about_is_asked_before_the_step(
    running_app: RunningApp, tmp_path: Path, standing: Standing, flags: dict, why: str
) -> None:
    """A CSM deactivated before Savedesk was installed (or whose `user_change` was missed)
    is never pinged: the tick asks Slack (`users.info`) before the step runs."""
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM")
    app.standin.change_user("U0CSM", **flags)  # no event: the app has never heard of them
    import_invoices(app, tmp_path, [f"INV-31,acme,1000.00,USD,{late(app, 31)},open"])
    app.tick()
    assert dms(app, "U0CSM") == [], "never pinged as the acting person"
    (to_manager,) = dms(app, "U0MGR")
    assert f"<@U0CSM> (the account's CSM) {why}" in to_manager
    assert any(c.args.get("user") == "U0CSM" for c in app.standin.calls("users.info"))


def test_a_csm_slack_cannot_answer_for_is_still_reminded(
    running_app: RunningApp, tmp_path: Path
) -> None:
    """Slack down when asked: the CSM gets the benefit of the doubt (as routing does), and
    the step is not held back."""
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM")
    app.standin.fail_next("users.info", error="internal_error", times=5)
    import_invoices(app, tmp_path, [f"INV-31,acme,1000.00,USD,{late(app, 31)},open"])
    app.tick()
    (to_csm,) = dms(app, "U0CSM")
    assert "remind the client" in to_csm
