"""Cases of someone who stops being a real person of the workspace (an admin deactivates
them; Slack says so with `user_change`): each open case they own is handed over the way
routing falls back (README *Routing*: the case's CSM, then a manager), the thread says
why, and the new owner gets the DM; a case they are the CSM of loses its CSM."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.routing import pick_by_load
from bot.cases.timeline import Timeline
from bot.clock import Clock
from bot.standing import Person, PersonFacts
from bot.team import Team, TeamService
from slack_edge.messages import owner_dm, who
from storage import cases as store
from storage.db import Database
from storage.models import Account, Case


class Handover:
    """Mixed into `CaseService`, which provides these and `team` and `_load`."""

    db: Database
    clock: Clock
    team_service: TeamService
    timeline: Timeline

    def person_changed(self, facts: PersonFacts) -> list[int]:
        """What Slack says about a user (`user_change`, `team_join`) is kept; if they are no
        longer a real person, their open cases are handed over. Returns the ids of the
        cases handed over (or that lost their CSM). Calls Slack (the users' standing, the
        team): never inside a unit of work."""
        self.team_service.person_changed(facts)
        home = self.team_service.directory.home()
        person = Person(facts.user_id, facts.standing(home))
        return [] if person.real else self.hand_over(person)

    def hand_over(self, person: Person) -> list[int]:
        """Hand over every open case `person` (not a real person) owns or is the CSM of."""
        with self.db.read() as session:
            held = store.open_cases_held_by(session, person.user_id)
            csms = {c.csm for c in held if c.csm and c.csm != person.user_id}
        if not held:
            return []
        standing = self.team_service.directory.people(sorted(csms))
        team: Team = self.team()
        done = []
        with self.db.session() as session:
            for case_id in [c.id for c in held]:
                case, account = self._load(session, case_id)
                if self._hand_over(session, case, account, person, standing, team):
                    done.append(case.id)
        return done

    def _hand_over(
        self,
        session: Session,
        case: Case,
        account: Account,
        person: Person,
        standing: dict[str, Person],
        team: Team,
    ) -> bool:
        user, changed = person.user_id, False
        if case.csm == user:
            case.csm, changed = None, True
            line = f"{who(user)} (the case's CSM) {person.why}: the case has no CSM now."
            self.timeline.by_system(session, case, "csm_gone", line)
        if case.owner != user:
            return changed
        new_owner, how = self._fallback(session, case, standing, team)
        now = self.clock.now()
        case.owner, case.assigned_at = new_owner, now if new_owner else None
        to = f"handed over to {who(new_owner)} ({how})" if new_owner else how
        line = f"Routing: {who(user)} (the owner) {person.why}; {to}."
        details = {"from": user, "to": new_owner, "why": person.standing.value}
        self.timeline.by_system(session, case, "reassigned", line, details)
        root = store.root_message(session, case)
        if new_owner and root is not None:
            dm = owner_dm(case, account, f"{who(user)} {person.why}; the case is yours now.")
            outbox.linked(session, now, new_owner, root, dm, flush=False)
        return True

    @staticmethod
    def _fallback(
        session: Session, case: Case, standing: dict[str, Person], team: Team
    ) -> tuple[str | None, str]:
        """The case's CSM if a real person, else the manager with the fewest open cases."""
        csm = case.csm and standing.get(case.csm)
        if csm and csm.real:
            return csm.user_id, "the case's CSM"
        managers = team.members("managers")
        manager = pick_by_load(managers, store.open_case_counts(session, managers))
        if manager is not None:
            return manager, "a manager, as the case has no CSM who can take it"
        return None, "nobody could take it: no CSM and no managers are set"
