"""The first-run wizard's answers, each checked as the policy and the settings will check
it, so a mistake is caught at the question (and asked again) rather than at start-up.

Every reader takes the text typed and returns the value, or raises BadAnswer saying what
is wrong and what a right answer looks like (README, *Set up your workspace*).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from bot.common.amounts import currency_code
from bot.policy import is_person
from bot.runtime.settings import PLACEHOLDER

ROLE_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("managers", "CS managers (get escalations, approve save offers)"),
    ("save_desk", "Save desk specialists (own high-value cancellations)"),
    ("finance", "Finance (own failed payments)"),
    ("controller", "Controller (invoices 60 days past due)"),
    ("cfo", "CFO (invoices 90 days past due)"),
    ("admins", "Savedesk admins (see every case)"),
)
"""Each policy role (`[roles]`) and how the wizard asks for it."""

OTHER_CHANNELS: tuple[tuple[str, str], ...] = (
    ("finance", "Finance channel (overdue invoices, renewal-invoice answers)"),
    ("reports", "Leadership channel (the weekly revenue-at-risk report)"),
    ("sales", "Sales channel (leads: a champion who left for another company)"),
)
_PEOPLE_SPLIT = re.compile(r"[,\s]+")
_CHANNEL_TYPED = re.compile(r"[CG][A-Z0-9]{2,}")
# What Slack's "Copy link" gives for a channel or a member (https://acme.slack.com/archives/
# C0123ABCD, .../team/U0123ABCD) and its mention syntax (<#C0123ABCD|cases>, <@U0123ABCD>):
# pasted, each stands for the ID inside it (Slack's docs, *Formatting text for app surfaces*).
_CHANNEL_PASTED = re.compile(
    r"https?://[^/\s]+/archives/([CG][A-Z0-9]{2,})/?|<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>"
)
_PERSON_PASTED = re.compile(
    r"https?://[^/\s]+/team/([UW][A-Z0-9]{2,})/?|<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>"
)


def _unwrap(pasted: re.Pattern[str], value: str) -> str:
    """The ID in a pasted Slack link or mention, else the value as typed."""
    found = pasted.fullmatch(value)
    return next(g for g in found.groups() if g) if found else value


class BadAnswer(ValueError):
    """An answer that will not do; the message says why and what to type instead."""


@dataclass
class Answers:
    """Everything the wizard asked; channels and people as the policy file writes them."""

    cases: str = ""
    channels: dict[str, str] = field(default_factory=dict)
    roles: dict[str, list[str]] = field(default_factory=dict)
    currency: str = "USD"
    timezone: str = "UTC"
    bot_token: str = ""
    signing_secret: str = ""


def channel(text: str, *, required: bool) -> str:
    """A channel ID as typed (`C…` public, `G…` private: capitals and digits, like
    C0123ABCD) or inside a pasted channel link; "" when skipped and not required. Never
    upper-cased for the person: `cases` is a channel's name, not its ID (Slack's docs,
    *Conversations API*: channel IDs)."""
    value = _unwrap(_CHANNEL_PASTED, text.strip())
    if not value and not required:
        return ""
    if not value:
        raise BadAnswer("a cases channel is needed: every case is a thread there")
    if _CHANNEL_TYPED.fullmatch(value):
        return value
    if _CHANNEL_TYPED.fullmatch(value.upper()) and any(c.isdigit() for c in value):
        raise BadAnswer(f"{value!r}: channel IDs are in capitals (did you mean {value.upper()}?)")
    raise BadAnswer(
        f"{value} is a channel name, not its ID; type its ID (C0123ABCD: capitals and digits), "
        "shown at the bottom of the channel's details in Slack"
    )


def people(text: str) -> list[str]:
    """Slack user IDs (as typed: capitals and digits, or inside a pasted profile link or
    mention), emails or @groups, separated by commas or spaces; [] for none."""
    found = []
    for typed in (p for p in _PEOPLE_SPLIT.split(text.strip()) if p):
        item = _unwrap(_PERSON_PASTED, typed)
        if not is_person(item):
            hint = " (IDs are in capitals)" if is_person(item.upper()) else ""
            raise BadAnswer(
                f"{item!r} is not a Slack user ID (U0123ABCD), an email or an @group{hint}"
            )
        found.append(item)
    return list(dict.fromkeys(found))


def currency(text: str) -> str:
    """An ISO 4217 code such as USD or EUR, in capitals."""
    try:
        return currency_code(text)
    except ValueError as why:
        raise BadAnswer(str(why)) from None


UNIVERSAL = ("UTC", "Etc/UTC", "GMT", "Etc/GMT")
# The abbreviations people type for a zone, and the city zone they usually mean.
ABBREVIATIONS = {
    **dict.fromkeys(("est", "edt", "est5edt", "et"), "America/New_York"),
    **dict.fromkeys(("cst", "cdt", "cst6cdt", "ct"), "America/Chicago"),
    **dict.fromkeys(("mst", "mdt", "mst7mdt", "mt"), "America/Denver"),
    **dict.fromkeys(("pst", "pdt", "pst8pdt", "pt"), "America/Los_Angeles"),
    **dict.fromkeys(("cet", "cest", "met"), "Europe/Paris"),
    **dict.fromkeys(("bst", "wet"), "Europe/London"),
    "eet": "Europe/Athens",
    "hst": "Pacific/Honolulu",
    "ist": "Asia/Kolkata",
    "jst": "Asia/Tokyo",
}


def timezone(text: str) -> str:
    """An IANA time zone name of the Region/City kind (America/New_York, Europe/Paris) or
    UTC, its capitals forgiven when the name is otherwise exact. An abbreviation (EST, CET)
    or a fixed offset (Etc/GMT+1) is refused even where the zone database has it: EST is New
    York in winter only, so business hours would be an hour off half the year, and the
    sign of Etc/GMT+1 is the reverse of what people mean (it is an hour behind UTC)."""
    value = text.strip()
    zones = available_timezones()
    exact = {z.lower(): z for z in zones}.get(value.lower())
    if exact in UNIVERSAL or (exact and "/" in exact and not exact.startswith("Etc/")):
        return exact
    meant = ABBREVIATIONS.get(value.lower())
    near = [meant] if meant else _near_zones(value, zones)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    if exact or meant:
        raise BadAnswer(
            f"{value!r} is an abbreviation or a fixed offset, not a city's zone; type one like "
            f"America/New_York, so the hours follow its daylight saving{hint}"
        )
    raise BadAnswer(f"{value!r} is not a time zone name like America/New_York{hint}")


def _near_zones(typed: str, zones: set[str]) -> list[str]:
    """Up to three Region/City zones whose name contains what was typed (three letters at
    least), spaces read as underscores ("new york": America/New_York)."""
    wanted = "_".join(typed.lower().split())
    if len(wanted) < 3:
        return []
    cities = sorted(z for z in zones if "/" in z and not z.startswith("Etc/"))
    return [z for z in cities if wanted in z.lower()][:3]


def secret(prefix: str, what: str) -> Callable[[str], str]:
    """A reader for a token that must start with ``prefix`` ("" = fill it in later)."""

    def read(text: str) -> str:
        value = text.strip()
        if value and prefix and not value.startswith(prefix):
            raise BadAnswer(f"{what} starts with {prefix} (press Enter to fill it in later)")
        if value and PLACEHOLDER.search(value):
            raise BadAnswer(
                f"{value!r} is the example value, not {what}; paste the real one from your "
                "Slack app (press Enter to fill it in later)"
            )
        if any(c.isspace() for c in value):
            raise BadAnswer(f"{what} has no spaces")
        return value

    return read


def yes_no(default: bool) -> Callable[[str], bool]:
    """A reader for y/n; Enter takes ``default``."""

    def read(text: str) -> bool:
        value = text.strip().lower()
        if not value:
            return default
        if value in ("y", "yes"):
            return True
        if value in ("n", "no"):
            return False
        raise BadAnswer("answer y or n")

    return read


_HOST_NAME = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*"
)
_PLACEHOLDER_HOST = "your-host"
_UNREACHABLE = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def manifest_origin(url: str) -> str:
    """`https://HOST` (a port allowed, no path) where Slack will reach Savedesk; raises
    BadAnswer otherwise. Slack sends requests to public HTTPS URLs only (Slack's docs,
    *Using the Events API*: the Request URL), so the README's placeholder YOUR-HOST, a
    host name that is not one, and this machine's own names are refused too."""
    typed = url.strip()
    parts = urlsplit(typed)
    if not parts.scheme and _HOST_NAME.fullmatch(typed.rstrip("/")):
        raise BadAnswer(f"--manifest: {url!r} needs its scheme: https://{typed.rstrip('/')}")
    if parts.scheme != "https" or not parts.hostname:
        raise BadAnswer(f"--manifest: {url!r} is not an https://HOST address")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise BadAnswer(f"--manifest: give only https://HOST, without a path ({url!r})")
    host = parts.hostname
    if host == _PLACEHOLDER_HOST:
        raise BadAnswer(
            "--manifest: YOUR-HOST stands for the public host that will serve Savedesk; "
            "give that host (no public host yet? leave --manifest out and use Socket Mode)"
        )
    if host in _UNREACHABLE:
        raise BadAnswer(f"--manifest: Slack cannot reach {host}; give the public host")
    if ":" not in host and not _HOST_NAME.fullmatch(host):
        raise BadAnswer(f"--manifest: {host!r} is not a host name")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        raise BadAnswer(f"--manifest: {url!r} has a port that is not one (1-65535)") from None
    return f"https://{parts.netloc}"
