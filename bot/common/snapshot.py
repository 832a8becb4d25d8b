"""Frozen copies of ORM rows for what leaves a service: handlers and Block Kit builders get
plain values that stay valid after the session closes."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

View = TypeVar("View")


def snapshot(view: type[View], row: Any) -> View:
    """`view` (a dataclass) filled from the row's attributes of the same names; call it
    while the row's session is open. Raises AttributeError if the row lacks a field."""
    return view(**{f.name: getattr(row, f.name) for f in fields(view)})  # type: ignore[arg-type]
