"""Who may do what: the one rule book, read by every service before it changes anything.

Each `Rule` names an action and the roles that may take it; a person's roles come from
the policy (managers, admins, finance) and from the case at hand (owner, CSM, a plan
step's assignee, the survey's answerer, an offer's approvers). Only real people have
roles at all (bot/people/standing.py): a deactivated member, a bot or someone of another
organisation in a Slack Connect channel is refused everything. docs/access.md, *Who may do
what*, shows `access_table()` of `RULES`, and tests/access/test_access_table.py presses every row as
every kind of person.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.cases.models import Refused
from bot.people.directory import STANDING_FRESH, Directory
from bot.people.standing import Person, Standing
from bot.people.team import Team, TeamService

FINANCE_ROLES = ("finance", "controller", "cfo")


class Role(StrEnum):
    """What a person is to the thing they act on; the order is the order in sentences."""

    OWNER = "owner"
    CSM = "csm"
    ACCOUNT_OWNER = "account_owner"
    ASSIGNEE = "assignee"
    ANSWERER = "answerer"
    APPROVER = "approver"
    FINANCE = "finance"
    MANAGER = "manager"
    ADMIN = "admin"
    MEMBER = "member"


ROLE_WORDS = {
    Role.OWNER: "the case's owner",
    Role.CSM: "the CSM",
    Role.ACCOUNT_OWNER: "the account owner",
    Role.ASSIGNEE: "the step's assignee",
    Role.ANSWERER: "whoever was asked (or answered)",
    Role.APPROVER: "the approvers the policy names",
    Role.MANAGER: "a manager",
    Role.ADMIN: "an admin",
    Role.FINANCE: "finance (finance, controller, CFO)",
    Role.MEMBER: "any member of the workspace",
}


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    REASSIGN = "reassign"
    RISK = "risk"
    NOTE = "note"
    OFFER = "offer"
    REMIND = "remind"
    SNOOZE = "snooze"
    CLOSE = "close"
    MOVE_ON = "move_on"
    CONFIRM_MOVE_ON = "confirm_move_on"
    REOPEN = "reopen"
    REMOVE_CSM = "remove_csm"
    DECIDE_OFFER = "decide_offer"
    OFFER_OUTCOME = "offer_outcome"
    FILL_SURVEY = "fill_survey"
    EDIT_SURVEY = "edit_survey"
    TURNOVER = "turnover"
    RENEWAL = "renewal"
    OPEN_CASE = "open_case"
    MY_CASES = "my_cases"
    REVENUE = "revenue"
    INVOICES = "invoices"
    HOURS = "hours"
    AWAY = "away"
    AWAY_OTHERS = "away_others"


@dataclass(frozen=True)
class Rule:
    """`what` is the first column of docs/access.md's table (what people press or type); `verb`
    ends the refusal ("Only the case's owner … can {verb}")."""

    action: Action
    what: str
    verb: str
    who: frozenset[Role]


OWN, CSM, MGR, ADM = Role.OWNER, Role.CSM, Role.MANAGER, Role.ADMIN
WORKING = frozenset({OWN, CSM, MGR, ADM})
"""The people working a case: its owner, its CSM, managers and admins."""

RULES: tuple[Rule, ...] = (
    Rule(Action.ACKNOWLEDGE, "**Acknowledge**", "acknowledge it", frozenset({OWN, MGR})),
    Rule(Action.REASSIGN, "**Reassign**", "reassign it", frozenset({OWN, MGR, ADM})),
    Rule(Action.RISK, "**Risk level**", "change its risk level", WORKING),
    Rule(Action.NOTE, "**Add note**", "add a note", WORKING),
    Rule(Action.OFFER, "**Propose save offer**", "propose a save offer", WORKING),
    Rule(Action.REMIND, "**Remind me**", "set a reminder", WORKING),
    Rule(Action.SNOOZE, "**Snooze**", "snooze it", frozenset({OWN, MGR})),
    Rule(Action.CLOSE, "**Mark saved**, **Mark churned**", "close it", WORKING),
    Rule(Action.MOVE_ON, "**Move on**", "move it on", WORKING),
    Rule(
        Action.CONFIRM_MOVE_ON,
        "**Confirm move on** / **Keep working** (above `move_on_confirm_above_arr`)",
        "confirm moving a case on",
        frozenset({MGR}),
    ),
    Rule(Action.REOPEN, "**Reopen**", "reopen it", WORKING),
    Rule(Action.REMOVE_CSM, "**Remove CSM**", "remove the CSM", frozenset({MGR})),
    Rule(
        Action.DECIDE_OFFER,
        "**Approve**, **Reject**, **Counter** (an offer; never by its proposer)",
        "decide this offer",
        frozenset({Role.APPROVER}),
    ),
    Rule(
        Action.OFFER_OUTCOME,
        "**Customer accepted** / **Customer declined**",
        "record the customer's answer",
        WORKING,
    ),
    Rule(
        Action.FILL_SURVEY,
        "**Fill in the cancellation survey**",
        "fill in this survey",
        frozenset({OWN, Role.ANSWERER, CSM, MGR}),
    ),
    Rule(
        Action.EDIT_SURVEY,
        "**Edit survey**",
        "edit this survey",
        frozenset({OWN, Role.ANSWERER, MGR}),
    ),
    Rule(
        Action.TURNOVER,
        "**Fill in turnover details**, **Update turnover**, **Done**, **Assign a step**",
        "change this turnover plan",
        frozenset({OWN, CSM, Role.ASSIGNEE, MGR, ADM}),
    ),
    Rule(
        Action.RENEWAL,
        "**Yes, send it** / **Hold** (pre-renewal check)",
        "answer",
        frozenset({CSM, Role.ACCOUNT_OWNER, Role.FINANCE, MGR, ADM}),
    ),
    Rule(
        Action.OPEN_CASE,
        "`/churn cancel`, `/churn risk`, **Open churn case**, **Open a case**",
        "open a case",
        frozenset({Role.MEMBER}),
    ),
    Rule(Action.MY_CASES, "`/churn cases mine`", "list cases", frozenset({Role.MEMBER})),
    Rule(
        Action.REVENUE,
        "`/churn report`, `/churn cases open\\|all`, App Home's every open case and report",
        "see revenue figures and every case",
        frozenset({MGR, ADM}),
    ),
    Rule(
        Action.INVOICES,
        "`/churn invoices`, App Home's overdue invoices",
        "see invoice amounts",
        frozenset({Role.FINANCE, MGR, ADM}),
    ),
    Rule(
        Action.HOURS,
        "`/churn hours`, App Home's **Change hours** (your own working hours)",
        "set working hours",
        frozenset({Role.MEMBER}),
    ),
    Rule(
        Action.AWAY,
        "`/churn away`, App Home's **Add time off** (your own time off, and who covers for you)",
        "set time off",
        frozenset({Role.MEMBER}),
    ),
    Rule(
        Action.AWAY_OTHERS,
        "`/churn away @person …` (someone else's time off)",
        "set someone else's time off",
        frozenset({MGR, ADM}),
    ),
)
RULE = {rule.action: rule for rule in RULES}


def who_may(rule: Rule) -> str:
    """The roles of a rule in words: "the case's owner, the CSM, a manager or an admin"."""
    words = [ROLE_WORDS[role] for role in Role if role in rule.who]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def access_table() -> list[str]:
    """The *Who may do what* table of docs/access.md, row by row (tests compare the two)."""
    lines = ["| you press / type | who may |", "|---|---|"]
    lines += [f"| {rule.what} | {who_may(rule)} |" for rule in RULES]
    return lines


@dataclass(frozen=True)
class Involved:
    """Who is what on the thing being acted on (a case, a plan step, a survey, an offer,
    a renewal check); empty for actions that concern no case."""

    owner: str | None = None
    csm: str | None = None
    account_owner: str | None = None
    assignee: str | None = None
    answerers: frozenset[str] = frozenset()
    approvers: frozenset[str] = frozenset()

    def roles_of(self, user: str) -> set[Role]:
        pairs = (
            (Role.OWNER, self.owner),
            (Role.CSM, self.csm),
            (Role.ACCOUNT_OWNER, self.account_owner),
            (Role.ASSIGNEE, self.assignee),
        )
        roles = {role for role, person in pairs if person and person == user}
        roles |= {Role.ANSWERER} if user in self.answerers else set()
        return roles | ({Role.APPROVER} if user in self.approvers else set())


NOBODY = Involved()


@dataclass(frozen=True)
class Actor:
    """The person acting, their standing, and the team their policy roles come from."""

    person: Person
    team: Team

    @property
    def user(self) -> str:
        return self.person.user_id

    def roles(self, involved: Involved = NOBODY) -> frozenset[Role]:
        """Every role this person holds here; none at all if they are not a real person."""
        if not self.person.real:
            return frozenset()
        user, team = self.user, self.team
        roles = {Role.MEMBER} | involved.roles_of(user)
        roles |= {Role.MANAGER} if team.is_manager(user) else set()
        roles |= {Role.ADMIN} if team.is_admin(user) else set()
        finance = any(user in team.members(r) for r in FINANCE_ROLES)
        return frozenset(roles | ({Role.FINANCE} if finance else set()))

    def may(self, action: Action, involved: Involved = NOBODY) -> bool:
        return bool(RULE[action].who & self.roles(involved))

    def require(self, action: Action, involved: Involved = NOBODY, where: str = "") -> None:
        """Raise Refused (the sentence to show the person) unless they may; `where` ends it
        (" on case #12")."""
        if not self.person.real:
            raise Refused(
                f"Savedesk answers members of this workspace only: this Slack account "
                f"{self.person.why}."
            )
        rule = RULE[action]
        if not self.may(action, involved):
            raise Refused(f"Only {who_may(rule)} can {rule.verb}{where}.")

    def stops_escalation(self, owner: str | None) -> bool:
        """Only the owner's or a manager's act stops a new case's escalation (docs/escalation.md,
        *Follow-ups*)."""
        return self.person.real and (self.user == owner or self.team.is_manager(self.user))


def revenue_viewers(team: Team) -> tuple[str, ...]:
    """Everyone the policy's roles let see revenue figures (whose App Home shows the
    report): the REVENUE rule applied to every role holder (all real people already)."""
    holders = [u for ids in team.roles.values() for u in ids]
    return tuple(
        u
        for u in dict.fromkeys(holders)
        if Actor(Person(u, Standing.ACTIVE), team).may(Action.REVENUE)
    )


class Access:
    """Resolves who is acting (their standing and the team) before a unit of work starts:
    it may ask Slack, so never call it inside one."""

    def __init__(self, team: TeamService, directory: Directory) -> None:
        self.team = team
        self.directory = directory

    def actor(self, user: str, *, fresh: bool = True) -> Actor:
        """`fresh` False: the last known team and whatever Slack said before, of any age
        (a button deciding its modal before `views.open`, which must happen within 3 s);
        the submission checks again with `fresh`."""
        team = self.team.current(stale_ok=not fresh)
        person = self.directory.person(user, fresh_for=STANDING_FRESH if fresh else None)
        return Actor(person, team)

    def require(self, user: str, action: Action, *, fresh: bool = True) -> Actor:
        """The actor, for an action that concerns no case (commands, App Home); raises
        Refused."""
        actor = self.actor(user, fresh=fresh)
        actor.require(action)
        return actor

    def member(self, user: str, action: Action = Action.MY_CASES) -> Person:
        """The person, for an action any member may take (`/churn cancel`, `/churn cases
        mine`, help), decided from what Slack said before, of any age (asked once if
        never) and with no team resolved: quick enough to answer before a command is
        acknowledged. Raises Refused."""
        if RULE[action].who != {Role.MEMBER}:
            raise ValueError(f"{action} is not for every member")
        person = self.directory.person(user, fresh_for=None, write=False)
        Actor(person, Team({})).require(action)
        return person
