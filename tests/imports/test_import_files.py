"""Import files as spreadsheets write them: encodings, workbooks, broken files, exit codes.

Every case runs `python app.py import accounts FILE` as an operator would: no traceback,
one line naming the file, the line and what to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.imports.csvfile import ImportFileError, read_table
from bot.runtime.settings import Settings
from storage import accounts as store
from storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
HEADER = "external_id,name,arr,segment,renewal_date,csm,account_owner,stripe_customer_id\r\n"
ROWS = (
    "cust-1,Ärztehaus Nord,1000,smb,,,,\r\n"
    "cust-2,Société Lumière,2000,smb,,,,\r\n"
    "cust-3,Café “Crème” — Zürich,3000,smb,,,,\r\n"
)
COLUMNS = ("external_id", "name", "arr")


def run_import(settings: Settings, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "x",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_URL": settings.database_url,
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "import", "accounts", str(path), *args],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def names(settings: Settings) -> list[str]:
    db = Database(settings.database_url)
    try:
        with db.read() as session:
            return sorted(
                a.name
                for e in ("cust-1", "cust-2", "cust-3")
                if (a := store.by_external_id(session, e))
            )
    finally:
        db.dispose()


def test_windows_excel_cp1252_file_is_imported(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes((HEADER + ROWS).replace("Ärztehaus", "Arztehaus").encode("cp1252"))
    result = run_import(settings, path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "read it as Windows-1252" in result.stdout
    assert "line 3: 'cust-2,Société Lumière" in result.stdout
    assert names(settings) == ["Arztehaus Nord", "Café “Crème” — Zürich", "Société Lumière"]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ","), ("utf-8", ","), ("utf-16", "\t")],
    ids=["csv-utf8-bom", "utf8", "unicode-text-utf16-tabs"],
)
def test_utf8_with_or_without_bom_and_utf16(
    settings: Settings, tmp_path: Path, encoding: str, delimiter: str
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes((HEADER + ROWS).replace(",", delimiter).encode(encoding))
    result = run_import(settings, path)
    assert result.returncode == 0, result.stderr
    assert "Windows-1252" not in result.stdout
    assert names(settings) == ["Café “Crème” — Zürich", "Société Lumière", "Ärztehaus Nord"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (HEADER.encode() + b"cust-1,Bad \x81\x8d name,1,,,,,\r\n", "line 2: byte 0x81 is not"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "spreadsheet workbook, not CSV"),
        (b"", "line 1: the file is empty"),
        (HEADER.encode() + b"cust-1,A\x00B,1\r\n", "line 2: contains NUL bytes"),
    ],
    ids=["undecodable", "xlsx", "empty", "nul"],
)
def test_unreadable_content_is_one_line_exit_2(
    settings: Settings, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(content)
    result = run_import(settings, path)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"savedesk: {path}: ") and expected in lines[0]
    assert "CSV UTF-8" in lines[0] or "header" in lines[0]


def test_missing_file_and_directory_are_one_line_exit_2(settings: Settings, tmp_path: Path) -> None:
    for path, why in [(tmp_path / "nope.csv", "No such file"), (tmp_path, "Is a directory")]:
        result = run_import(settings, path)
        assert result.returncode == 2
        assert result.stderr.strip() == f"savedesk: {path}: cannot read ({why})" or (
            why in result.stderr and len(result.stderr.strip().splitlines()) == 1
        ), result.stderr


def test_header_error_names_only_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,name,arr\n1,x,2\n")
    with pytest.raises(ImportFileError) as caught:
        read_table(path, (*COLUMNS, "segment", "csm"), ("external_id", "name"))
    assert str(caught.value) == (
        f"{path}: line 1: the header must name external_id and name (missing: external_id)"
    )


def test_semicolon_files_are_explained(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("external_id;name;arr\n1;x;2\n")
    with pytest.raises(ImportFileError, match="separated by semicolons, not commas"):
        read_table(path, COLUMNS, ("external_id", "name"))


def test_skipped_rows_exit_3(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(HEADER + "cust-1,Ärztehaus Nord,1000\ncust-2,,5\n", encoding="utf-8")
    result = run_import(settings, path)
    assert result.returncode == 3, result.stderr
    assert "line 3: name is empty" in result.stdout
    assert "1 created, 0 updated, 0 unchanged, 1 skipped" in result.stdout
    again = run_import(settings, path)
    assert again.returncode == 3 and "1 unchanged, 1 skipped" in again.stdout
    clean = tmp_path / "clean.csv"
    clean.write_text(HEADER + "cust-1,Ärztehaus Nord,1000\n", encoding="utf-8")
    assert run_import(settings, clean).returncode == 0


def test_a_cell_over_the_size_limit_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("external_id,name\na,A\nb," + "x" * 200_000 + "\nc,C\n")
    table = read_table(path, COLUMNS, ("external_id", "name"))
    rows = table.rows()
    assert next(rows) == (2, {"external_id": "a", "name": "A"})
    with pytest.raises(ValueError, match="line 3: field larger than field limit"):
        next(rows)
