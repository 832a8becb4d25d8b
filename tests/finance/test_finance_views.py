"""`/churn invoices [overdue]` and the App Home's overdue invoices, over HTTP: finance
roles, managers and admins see amounts; everyone else is refused."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from tests.cases.test_home import home_of
from tests.conftest import RunningApp, eventually, seed_account
from tests.finance.test_dunning import import_invoices, late


def invoices_answer(app: RunningApp, user: str, text: str = "invoices overdue") -> str:
    url = app.standin.new_response_url()
    assert app.slack.slash_command(text, user_id=user, response_url=url).status == 200
    return eventually(lambda: app.standin.responses(url))[-1]["text"]


def seed(app: RunningApp, tmp_path: Path) -> None:
    seed_account(app.services, "acme", "Acme", csm="U0CSM")
    future = (app.services.clock.now().date() + timedelta(days=20)).isoformat()
    import_invoices(
        app,
        tmp_path,
        [
            f"INV-LATE,acme,1500.00,USD,{late(app, 65)},open",
            f"INV-SOON,acme,99.00,USD,{future},open",
            f"INV-PAID,acme,10.00,USD,{late(app, 65)},paid",
        ],
    )
    app.tick()


def test_finance_roles_list_overdue_and_open_invoices_with_their_step(
    running_app: RunningApp, tmp_path: Path
) -> None:
    app = running_app
    seed(app, tmp_path)
    for user in ("U0FIN", "U0CTRL", "U0CFO", "U0MGR", "U0ADMIN"):
        text = invoices_answer(app, user)
        assert "*Overdue invoices*" in text and "INV-LATE" in text, user
        assert "$1,500 remaining" in text and "65 days past due" in text
        assert "ladder: 60-day (controller)" in text
        assert "INV-SOON" not in text and "INV-PAID" not in text
    everything = invoices_answer(app, "U0FIN", "invoices")
    assert "INV-LATE" in everything and "INV-SOON" in everything and "INV-PAID" not in everything


def test_others_are_refused_and_bad_arguments_get_usage(
    running_app: RunningApp, tmp_path: Path
) -> None:
    app = running_app
    seed(app, tmp_path)
    refused = invoices_answer(app, "U0CSM")
    assert "finance" in refused and "INV-LATE" not in refused and "1,500" not in refused
    reply = app.slack.slash_command("invoices late", user_id="U0FIN")
    assert "takes nothing or `overdue`" in reply.json()["text"]


def test_app_home_shows_finance_people_the_overdue_invoices(
    running_app: RunningApp, tmp_path: Path
) -> None:
    app = running_app
    seed(app, tmp_path)
    finance_home = json.dumps(home_of(app, "U0FIN")["blocks"])
    assert "Overdue invoices" in finance_home and "INV-LATE" in finance_home
    assert "INV-SOON" not in finance_home
    csm_home = json.dumps(home_of(app, "U0CSM")["blocks"])
    assert "Overdue invoices" not in csm_home and "INV-LATE" not in csm_home
