"""Reading a CSV file the way spreadsheets write them, and the row loop, for every import.

Excel writes "CSV UTF-8" with a byte-order mark, "CSV (Comma delimited)" in the Windows
code page (Windows-1252 in the Americas and Western Europe), and "Unicode Text" as
UTF-16. All of them are read here; a file that is none of them, or not a CSV at all
(an .xlsx workbook), is refused with one line naming the file, the line and what to do.
Reading raises nothing but `ImportFileError`. `import_file` is what every importer does with
the rows: keep the good ones, name the bad and repeated ones by line, save in batches.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

SAVE_AS = 'save it from your spreadsheet as "CSV UTF-8 (Comma delimited)" and import it again'
FALLBACK = "cp1252"  # what Excel's plain "CSV (Comma delimited)" is on Western Windows
MAX_FIELD = 100_000  # characters in one cell: more is not an account or invoice
BATCH = 500  # rows saved per unit of work
PROGRESS_EVERY = 1000  # rows between progress calls

Row = TypeVar("Row")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message names file, line and remedy."""


class RowError(ValueError):
    """One row is wrong; the message names the column and the problem."""


class RowsError(ValueError):
    """The file stops making sense at `line`; rows before it were read."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line


@dataclass
class CsvTable:
    """A decoded CSV file with a checked header; `rows()` yields (line number, cells)."""

    path: Path
    text: str
    columns: tuple[str, ...]
    header: list[str]
    delimiter: str = ","
    notes: list[str] = field(default_factory=list)

    @property
    def unknown(self) -> list[str]:
        """Header cells that are not one of `columns` (ignored, worth a note)."""
        return [h for h in self.header if h and h not in self.columns]

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Each data row as {known column: stripped cell}; raises RowsError on broken CSV."""
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        line = 1
        try:
            next(reader, None)
            line = reader.line_num + 1
            for cells in reader:
                row = {
                    h: (cells[i] if i < len(cells) else "").strip()
                    for i, h in enumerate(self.header)
                    if h in self.columns
                }
                if any(cells):
                    yield line, row
                line = reader.line_num + 1
        except csv.Error as err:
            raise RowsError(line, f"{err}; the rest of the file was not read") from None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def summary(self, what: str) -> str:
        return (
            f"{what}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.skipped} skipped"
        )


def import_file(
    table: CsvTable,
    key: str,
    parse: Callable[[int, dict[str, str]], Row],
    save: Callable[[list[Row], ImportReport], None],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Parse each row of `table` (`parse` raises RowError) and `save` the good ones in
    batches; a bad row, or one whose `key` cell repeats an earlier good row's, is skipped
    and named by line. A broken CSV stops the reading there; the rows before it are saved.
    """
    report = ImportReport(notes=list(table.notes))
    if table.unknown:
        report.notes.append(f"ignoring unknown column(s): {', '.join(table.unknown)}")
    seen: dict[str, int] = {}
    batch: list[Row] = []
    try:
        for n, (line, row) in enumerate(table.rows(), start=1):
            try:
                parsed = parse(line, row)
            except RowError as err:
                report.problems.append(f"line {line}: {err}")
            else:
                if row[key] in seen:
                    report.problems.append(
                        f"line {line}: {key} {row[key]!r} repeats line {seen[row[key]]}"
                    )
                else:
                    seen[row[key]] = line
                    batch.append(parsed)
            if len(batch) >= BATCH:
                save(batch, report)
                batch.clear()
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(n)
    except RowsError as err:
        report.problems.append(str(err))
    save(batch, report)
    return report


def decode(path: Path) -> tuple[str, str | None]:
    """The file's text, and a note when it was not UTF-8 (read as Windows-1252)."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ImportFileError(f"{path}: cannot read ({err.strerror or err})") from None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(f"{path}: this is a spreadsheet workbook, not CSV: {SAVE_AS}")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(path, data, "utf-16"), None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as err:
        utf8_error = err
    try:
        text = data.decode(FALLBACK)
    except UnicodeDecodeError:
        line = data[: utf8_error.start].count(b"\n") + 1
        byte = data[utf8_error.start]
        raise ImportFileError(
            f"{path}: line {line}: byte 0x{byte:02x} is not UTF-8 or Windows-1252 text: {SAVE_AS}"
        ) from None
    return text, _fallback_note(path, data, utf8_error.start, text)


def _strict(path: Path, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problem = f"line {line}: not valid {encoding} text"
        raise ImportFileError(f"{path}: {problem}: {SAVE_AS}") from None


def _fallback_note(path: Path, data: bytes, offset: int, text: str) -> str:
    """Say which encoding was assumed, with the first line that depends on it."""
    line = data[:offset].count(b"\n") + 1
    sample = text.split("\n")[line - 1].strip()[:60]
    return (
        f'{path.name} is not UTF-8; read it as Windows-1252 (Excel\'s "CSV (Comma delimited)"), '
        f"e.g. line {line}: {sample!r}. If that looks wrong, {SAVE_AS}"
    )


def read_table(path: Path, columns: tuple[str, ...], required: tuple[str, ...]) -> CsvTable:
    """Decode `path` and check that its header names every column in `required`.

    Raises ImportFileError for an unreadable file, a workbook, an unknown encoding, an
    empty file, a NUL byte, or a header that lacks a required column (naming only those).
    """
    text, note = decode(path)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFileError(f"{path}: line {line}: contains NUL bytes, not CSV text: {SAVE_AS}")
    csv.field_size_limit(MAX_FIELD)
    first = io.StringIO(text, newline="").readline().rstrip("\r\n")
    if not text.strip():
        raise ImportFileError(f"{path}: line 1: the file is empty; it needs a header row")
    if not first.strip():
        raise ImportFileError(f"{path}: line 1: is empty; the first line must be the header")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFileError(_header_problem(path, first, required, missing))
    return CsvTable(path, text, columns, header, delimiter, [note] if note else [])


def _header_problem(path: Path, first: str, required: tuple[str, ...], missing: list[str]) -> str:
    need = " and ".join(required) if len(required) < 3 else ", ".join(required)
    problem = f"{path}: line 1: the header must name {need} (missing: {', '.join(missing)})"
    if ";" in first and "," not in first:
        problem += f"; the file is separated by semicolons, not commas: {SAVE_AS}"
    return problem
