"""`python app.py import invoices FILE.csv` as an operator runs it: bad rows by line, good
rows kept, idempotent, stub accounts for unknown ones."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from storage.db import Database
from storage.models import Account, Invoice
from tests.setup.test_cli import GOOD, run_app

HEADER = "invoice_id,account,amount,currency,due_date,status"


def test_import_reports_bad_rows_keeps_good_ones_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    env = {**GOOD, "DATABASE_URL": url}
    (tmp_path / "i.csv").write_text(
        "\n".join(
            [
                HEADER,
                'INV-1,acme,"1,500.50",usd,2026-01-01,open',
                "INV-2,acme,12.345,USD,2026-01-01,open",
                "INV-3,acme,100,JPY,2026-01-01,open",
                "INV-4,acme,100.5,JPY,2026-01-01,open",
                "INV-5,globex,abc,USD,2026-01-01,open",
                "INV-6,globex,10,USD,01/02/2026,open",
                "INV-7,globex,10,USD,2026-01-01,pending",
                "INV-1,acme,1,USD,2026-01-01,open",
                ",acme,1,USD,2026-01-01,open",
                "INV-8,globex,7.125,KWD,2026-02-01,paid",
                "INV-9,acme,20,dollars,2026-01-01,open",
                "INV-10,acme,20,UDS,2026-01-01,open",
            ]
        )
        + "\n"
    )
    first = run_app(tmp_path, "import", "invoices", "i.csv", **env)
    assert first.returncode == 3, first.stderr  # rows were skipped (docs/cli.md, *Exit codes*)
    out = first.stdout
    assert "line 3: amount: '12.345' has more than 2 decimals for USD" in out
    assert "line 5: amount: '100.5' has more than 0 decimals for JPY" in out
    assert "line 6: amount: 'abc' is not a number" in out
    assert "line 7: due_date: '01/02/2026' is not a date (use YYYY-MM-DD)" in out
    assert "line 8: status: 'pending' is not one of open, paid, void, uncollectible" in out
    assert "line 9: invoice_id 'INV-1' repeats line 2" in out
    assert "line 10: invoice_id is empty" in out
    assert "line 12: currency: 'dollars' is not an ISO 4217 currency code like USD" in out
    assert "line 13: currency: 'UDS' is not an ISO 4217 currency code like USD" in out
    assert "account 'acme' is unknown: created as a stub" in out
    assert "3 created, 0 updated, 0 unchanged, 9 skipped" in out
    second = run_app(tmp_path, "import", "invoices", "i.csv", **env)
    assert "0 created, 0 updated, 3 unchanged, 9 skipped" in second.stdout
    assert "stub" not in second.stdout
    db = Database(url)
    with db.read() as session:
        rows = {i.invoice_id: i for i in session.scalars(select(Invoice))}
        accounts = {a.external_id: a.is_stub for a in session.scalars(select(Account))}
    db.dispose()
    assert rows["INV-1"].amount_due == Decimal("1500.50") and rows["INV-1"].currency == "USD"
    assert rows["INV-8"].amount_remaining == 0 and rows["INV-8"].next_step_on is None
    assert rows["INV-3"].next_step_on is not None
    assert accounts == {"acme": True, "globex": True}


def test_import_updates_a_changed_row_and_a_bad_header_stops(tmp_path: Path) -> None:
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    (tmp_path / "i.csv").write_text(f"{HEADER}\nINV-1,acme,100,USD,2026-01-01,open\n")
    assert "1 created" in run_app(tmp_path, "import", "invoices", "i.csv", **env).stdout
    (tmp_path / "i.csv").write_text(f"{HEADER}\nINV-1,acme,100,USD,2026-01-01,paid\n")
    assert "1 updated" in run_app(tmp_path, "import", "invoices", "i.csv", **env).stdout
    (tmp_path / "bad.csv").write_text("id,customer\n1,2\n")
    bad = run_app(tmp_path, "import", "invoices", "bad.csv", **env)
    assert bad.returncode == 2 and "line 1" in bad.stderr and "Traceback" not in bad.stderr
