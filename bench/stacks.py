"""Summarize a py-spy `--format raw --threads --idle` recording of the web process: for each
kind of thread, where its samples went (the deepest Savedesk frame, and whether the thread
was on the CPU, waiting for the database, for a pool connection, or sleeping).

    python -m bench.stacks /tmp/bursts-postgresql-….txt [--top 15]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter, defaultdict
from pathlib import Path

OURS = re.compile(r"^(\w+) \(((?:bot|storage|handlers|slack_edge)/[\w/]+\.py):(\d+)\)$")
WAITS = (
    ("pool/impl.py", "waiting for a pool connection"),
    ("psycopg/waiting.py", "waiting for PostgreSQL"),
    ("psycopg/", "psycopg (CPU)"),
    ("sqlite3", "SQLite"),
    ("thread_runner.py:164", "waiting for ack() (Bolt polls every 10 ms)"),
    ("concurrent/futures/thread.py:81", "idle executor thread"),
    ("waitress/task.py:8", "idle web thread"),
    ("sqlalchemy/", "SQLAlchemy (CPU)"),
    ("slack_bolt/", "Bolt (CPU)"),
    ("flask/", "Flask (CPU)"),
    ("werkzeug/", "Flask (CPU)"),
    ("waitress/", "waitress (CPU)"),
    ("json/", "JSON"),
)


def kind_of(thread: str) -> str:
    name = thread.split(": ", 1)[-1]
    return re.sub(r"[-_]\d+(_\d+)?$", "", name)


def classify(frames: list[str]) -> tuple[str, str]:
    """(deepest Savedesk frame, what the leaf was doing)."""
    ours = next((f for f in reversed(frames) if OURS.match(f)), "-")
    match = OURS.match(ours)
    where = f"{match.group(1)} ({match.group(2)})" if match else "-"
    leaf = ";".join(frames[-6:])
    for needle, label in WAITS:
        if needle in leaf:
            return where, label
    return where, "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    totals: Counter[str] = Counter()
    parts: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for line in args.file.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        kind = kind_of(frames[0])
        totals[kind] += int(count)
        parts[kind][classify(frames[1:])] += int(count)
    for kind, total in totals.most_common():
        print(f"{kind}: {total} samples")
        for (where, what), n in parts[kind].most_common(args.top):
            print(f"  {n / total:6.1%}  {what:45} {where}")


if __name__ == "__main__":
    main()
