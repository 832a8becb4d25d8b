"""Accounts import: good rows kept, bad rows named by line, idempotent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.imports.accounts import AccountImporter
from bot.imports.csvfile import ImportFileError
from bot.runtime.services import Services
from demo.standin import SlackStandin
from storage import accounts as store

ROOT = Path(__file__).resolve().parents[2]

CSV = """external_id,name,arr,segment,renewal_date,csm,account_owner,stripe_customer_id
acme,Acme Corp,120000,enterprise,2027-03-01,U0CSM,U0AE,cus_acme
globex,Globex,45000,mid-market,2027-01-15,csm@example.com,,cus_globex
initech,Initech,,smb,,,,
umbrella,Umbrella,abc,smb,2027-02-01,U0CSM,,
hooli,Hooli,80000,enterprise,2027-13-45,U0CSM,,
,Nameless,1000,smb,,,,
stark,"Stark Industries, Inc.",250000,enterprise,2027-06-30,csm@example.com,ae@example.com,cus_stark
wayne,Wayne Enterprises,"1,500,000",enterprise,2027-09-01,U0CSM,U0AE,
cyberdyne,Cyberdyne,30000,mid-market,2026-12-31,U0CSM,,
soylent,Soylent,5000,smb,2027-04-04,,,
"""


def write(tmp_path: Path, text: str = CSV) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(text)
    return path


def importer(services: Services) -> AccountImporter:
    return AccountImporter(services.db, services.directory, services.clock)


def test_ten_rows_three_bad(services: Services, standin: SlackStandin, tmp_path: Path) -> None:
    standin.add_user("U0CSM2", email="csm@example.com")
    standin.add_user("U0AE2", email="ae@example.com")
    report = importer(services).run(write(tmp_path))
    assert (report.created, report.updated, report.skipped) == (7, 0, 3)
    assert report.problems == [
        "line 5: arr: 'abc' is not a number",
        "line 6: renewal_date: '2027-13-45' is not a date (use YYYY-MM-DD)",
        "line 7: external_id is empty",
    ]
    with services.db.session() as session:
        stark = store.by_external_id(session, "stark")
        assert stark is not None
        assert (stark.csm, stark.account_owner, stark.name) == (
            "U0CSM2",
            "U0AE2",
            "Stark Industries, Inc.",
        )
        wayne = store.by_external_id(session, "wayne")
        assert wayne is not None and wayne.arr == 1_500_000

    again = importer(services).run(write(tmp_path))
    assert (again.created, again.updated, again.unchanged, again.skipped) == (0, 0, 7, 3)
    lookups = standin.calls("users.lookupByEmail")
    assert len(lookups) == 2, "emails are cached"


def test_changed_row_updates_and_empty_cells_keep_values(
    services: Services, tmp_path: Path
) -> None:
    importer(services).run(write(tmp_path, CSV.splitlines()[0] + "\nacme,Acme,100,smb,,U0CSM,,\n"))
    report = importer(services).run(write(tmp_path, CSV.splitlines()[0] + "\nacme,Acme,200,,,,,\n"))
    assert (report.created, report.updated) == (0, 1)
    with services.db.session() as session:
        acme = store.by_external_id(session, "acme")
        assert acme is not None and (acme.arr, acme.segment, acme.csm) == (200, "smb", "U0CSM")


def test_unknown_email_and_duplicates_are_reported(services: Services, tmp_path: Path) -> None:
    text = (
        "external_id,name,csm,stripe_customer_id\n"
        "a,A,nobody@example.com,\n"
        "b,B,,cus_1\n"
        "b,B again,,\n"
        "c,C,,cus_1\n"
    )
    report = importer(services).run(write(tmp_path, text))
    assert report.created == 1
    assert report.problems == [
        "line 2: csm: no Slack user has the email nobody@example.com",
        "line 4: external_id 'b' repeats line 3",
        "line 5: stripe_customer_id: cus_1 already belongs to account b",
    ]


def test_cli_import_prints_lines_and_summary(
    settings, standin: SlackStandin, tmp_path: Path
) -> None:
    standin.add_user("U0CSM2", email="csm@example.com")
    standin.add_user("U0AE2", email="ae@example.com")
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "x",
        "SLACK_API_URL": standin.api_url,
        "DATABASE_URL": settings.database_url,
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "import", "accounts", str(write(tmp_path))],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    assert "line 5: arr: 'abc' is not a number" in result.stdout
    assert "7 created, 0 updated, 0 unchanged, 3 skipped" in result.stdout


def test_missing_header_column_is_one_clear_line(services: Services, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="line 1: the header must name"):
        importer(services).run(write(tmp_path, "id,title\n1,x\n"))


def test_progress_on_large_files(services: Services, tmp_path: Path) -> None:
    rows = "".join(f"a{i},Account {i},{i}\n" for i in range(2500))
    seen: list[int] = []
    report = importer(services).run(write(tmp_path, "external_id,name,arr\n" + rows), seen.append)
    assert report.created == 2500
    assert seen == [1000, 2000]


def test_values_that_do_not_fit_are_row_errors(services: Services, tmp_path: Path) -> None:
    long = "x" * 101
    text = (
        "external_id,name,arr,segment,stripe_customer_id\n"
        "a,A,1e20,,\n"
        f"b,B,10,{long},\n"
        f"c,C,10,,{long}\n"
        "d,D,10,smb,cus_d\n"
    )
    report = importer(services).run(write(tmp_path, text))
    assert report.created == 1
    assert report.problems == [
        "line 2: arr: '1e20' is too large",
        "line 3: segment is too long (100 characters at most)",
        "line 4: stripe_customer_id is too long (100 characters at most)",
    ]


def test_new_accounts_take_the_policy_currency(services: Services, tmp_path: Path) -> None:
    importer = AccountImporter(services.db, services.directory, services.clock, "EUR")
    importer.run(write(tmp_path, "external_id,name\nacme,Acme\n"))
    with services.db.session() as session:
        account = store.by_external_id(session, "acme")
        assert account is not None and account.currency == "EUR"
        account.currency = "GBP"  # an account's own currency is kept on the next import
    importer.run(write(tmp_path, "external_id,name\nacme,Acme Corp\n"))
    with services.db.session() as session:
        assert store.by_external_id(session, "acme").currency == "GBP"  # type: ignore[union-attr]
