"""`python app.py report [week|month|quarter] [--csv FILE]` (docs/cli.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.reports.export import write_csv
from bot.reports.words import as_text
from bot.runtime.services import Services

EXIT_OK, EXIT_FAILED = 0, 1


def cmd_report(services: Services, period: str, csv_path: Path | None) -> int:
    """Print the report; with `csv_path`, also write the rows behind it. A file that
    cannot be written is one line on stderr and exit code 1."""
    report = services.reports.generate(period)
    print(as_text(report), end="")
    if csv_path is None:
        return EXIT_OK
    try:
        count = write_csv(services.db, services.policy, report, csv_path)
    except OSError as err:
        print(f"savedesk: cannot write {csv_path}: {err.strerror or err}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wrote {count:,} rows to {csv_path}", file=sys.stderr)
    return EXIT_OK
