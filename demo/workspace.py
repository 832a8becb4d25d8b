"""The demo workspace: people, channels and groups matching `policy.example.toml`, so the
example policy routes, escalates and asks for approvals exactly as it would in Slack."""

from __future__ import annotations

from dataclasses import dataclass

from demo.standin import SlackStandin


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    title: str
    switcher: str = ""  # label in the page's person switcher; "" = not offered

    @property
    def email(self) -> str:
        return f"{self.name.split()[0].lower()}@example.com"


PEOPLE = (
    Person("U0CSM", "Casey Kim", "Customer success manager", "CSM"),
    Person("U0AE", "Alex Moreno", "Account executive", "Account executive"),
    Person("U0SAVE1", "Sam Rivera", "Save desk specialist", "Save desk"),
    Person("U0MGR", "Morgan Diaz", "CS manager", "Manager"),
    Person("U0FIN", "Fran Okafor", "Finance", "Finance"),
    Person("U0CFO", "Robin Hale", "CFO", "CFO"),
    # The sample invoices' ladder names these two in #finance: anyone named there can be
    # switched to, to read the DM they got.
    Person("U0CTRL", "Chris Novak", "Controller", "Controller"),
    Person("U0CSM2", "Priya Shah", "Customer success manager", "CSM"),
    Person("U0SAVE2", "Dana Brooks", "Save desk specialist"),
    Person("U0AE2", "Jordan Lee", "Account executive"),
    Person("U0ADMIN", "Avery Stone", "Savedesk admin"),
    Person("U0PRICING", "Pat Quinn", "Pricing lead"),
)
CHANNELS = (
    ("C0CASES", "cases", "One thread per case"),
    ("C0FINANCE", "finance", "Overdue invoices and renewal-invoice answers"),
    ("C0LEADERS", "leadership", "The weekly revenue-at-risk report"),
    ("C0SALES", "sales", "Leads: champions who moved to another company"),
    ("C0SUPPORT", "support", "Customer conversations (watched for churn talk)"),
    ("C0PRODUCT", "product", "Root causes the product team owns"),
    ("C0GENERAL", "general", "Anything else"),
)
GROUPS = (("S0CSLEADS", "cs-leads", ("U0MGR",)),)
TIMEZONE = "America/New_York"


def populate(standin: SlackStandin) -> None:
    """Register the demo's people, channels and user groups with the stand-in."""
    for person in PEOPLE:
        standin.add_user(person.user_id, person.email, person.name, TIMEZONE, person.title)
    for channel_id, name, purpose in CHANNELS:
        standin.add_channel(channel_id, name, purpose)
    for group_id, handle, members in GROUPS:
        standin.add_usergroup(group_id, handle, members)


def person(user_id: str) -> Person | None:
    return next((p for p in PEOPLE if p.user_id == user_id), None)
