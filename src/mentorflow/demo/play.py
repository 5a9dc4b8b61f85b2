"""The demo's machinery: relationships that act a given number of days before now, and the demo's state.

Scenes (``mentorflow.demo.scenes``) are written with these, so that they read like a program's diary.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from mentorflow import store
from mentorflow.demo.samples import BRIEFS, COMMENTS, PROFILES, SAMPLES, TOPICS, sample
from mentorflow.identifiers import Actor
from mentorflow.service import Mentorflow

__all__ = ["COORDINATOR", "Demo", "Rel", "display_name", "score"]

COORDINATOR = Actor.admin("m.reyes")


def display_name(person: str) -> str:
    """``dr.okafor`` -> ``Dr. Okafor``, ``ana.silva`` -> ``Ana Silva``: how people write attendees."""
    first, _, rest = person.partition(".")
    if first in ("dr", "prof"):
        return f"{first.capitalize()}. {rest.replace('.', ' ').title()}"
    return person.replace(".", " ").title()


def score(person: str, spread: int = 3) -> int:
    """A stable, person-dependent small number, so that contents vary without randomness."""
    return sum(map(ord, person)) % spread


class Rel:
    """One demo relationship: each call moves the clock to ``ago`` days before now, then acts."""

    def __init__(self, demo: Demo, rel_id: str, roles: dict[str, list[str]], profile: int) -> None:
        self.demo, self.id, self.roles = demo, rel_id, roles
        self.profile = PROFILES[profile % len(PROFILES)]
        self.meetings = 0
        self.read: dict[str, int] = {}
        """The revision of each slot the people last saw submitted: what they sign."""

    @property
    def everyone(self) -> list[str]:
        return [person for people in self.roles.values() for person in people]

    def first(self, role: str) -> str:
        return self.roles[role][0]

    def day(self, ago: int) -> dt.date:
        return self.demo.today - dt.timedelta(days=ago)

    def submit(self, ago: int, slot: str, content: dict[str, Any], by: str, item: int | None = None) -> None:
        self.demo.at(ago)
        revision = self.demo.mf.submit(self.id, slot, content, actor=by, item=item, session=self.demo.session)
        self.read[slot] = revision.revision

    def sign(self, ago: int, slot: str, *people: str) -> None:
        for person in people:
            self.demo.at(ago)
            self.demo.mf.sign(self.id, slot, actor=person, revision=self.read[slot], session=self.demo.session)

    def fire(self, ago: int, trigger: str, by: str | Actor, reason: str | None = None, *, force: bool = False) -> None:
        self.demo.at(ago)
        self.demo.mf.fire(self.id, trigger, actor=by, reason=reason, force=force, session=self.demo.session)

    # -- contents, varied per relationship ----------------------------------------------------------------------

    def idp(
        self, ago: int, *, reviewed: bool = True, drop: Sequence[str] = (), profile: int | None = None
    ) -> dict[str, Any]:
        chosen = self.profile if profile is None else PROFILES[profile % len(PROFILES)]
        stage, skills, interests, values, goal, objectives = chosen
        on = self.day(ago)
        content = sample(
            "idp",
            on,
            career_stage=stage,
            long_term_goals=[goal],
            self_assessment={"skills": skills, "interests": interests, "values": values},
            objectives=[
                {"description": text, "category": category, "target_date": (on + dt.timedelta(days=ahead)).isoformat()}
                for text, category, ahead in objectives
            ],
        )
        if reviewed:
            first = objectives[0][0]
            comments = f"Reviewed together. Start with '{first}' and check progress at every meeting."
            content["mentor_review"] = {"reviewed_on": on.isoformat(), "comments": comments}
        else:
            del content["mentor_review"]
        return {key: value for key, value in content.items() if key not in drop}

    def agreement(self, ago: int, *, drop: Sequence[str] = ()) -> dict[str, Any]:
        frequency = ("every_two_weeks", "monthly", "weekly")[score(self.id)]
        goals = [text for text, _, _ in self.profile[5]]
        content = sample("agreement", self.day(ago), goals=goals, meeting_frequency=frequency)
        return {key: value for key, value in content.items() if key not in drop}

    def meeting(self, ago: int) -> dict[str, Any]:
        on, topic = self.day(ago), TOPICS[(self.meetings + score(self.id, 5)) % len(TOPICS)]
        owner = display_name(self.everyone[self.meetings % len(self.everyone)])
        self.meetings += 1
        return sample(
            "meeting",
            on,
            attendees=[display_name(person) for person in self.everyone],
            topics=[topic, f"Next steps on: {self.profile[5][self.meetings % 2][0]}"],
            action_items=[{"description": f"Follow up on {topic.lower()}", "owner": owner}],
            mode=("video", "in_person", "hybrid")[score(self.id)],
        )

    def evaluation(self, role: str, person: str, ago: int) -> dict[str, Any]:
        base = 5 + score(person)
        ratings = {key: min(7, base + (index % 2)) for index, key in enumerate(SAMPLES["evaluation"]["ratings"])}
        comments = COMMENTS[score(person, len(COMMENTS))]
        return sample("evaluation", self.day(ago), respondent_role=role, ratings=ratings, comments=comments)

    def brief(self, ago: int, index: int, *, drop: Sequence[str] = ()) -> dict[str, Any]:
        need, background, outcome, question = BRIEFS[index % len(BRIEFS)]
        content = sample(
            "micro_brief",
            self.day(ago),
            developmental_need=need,
            background=background,
            desired_outcome=outcome,
            questions=[question],
        )
        return {key: value for key, value in content.items() if key not in drop}

    def curriculum(self, ago: int, theme: str, *, dated: bool = True) -> dict[str, Any]:
        content = sample("curriculum", self.day(ago), theme=theme)
        if not dated:
            content["sessions"] = [{"topic": session["topic"]} for session in content["sessions"]]
        return content

    def network_map(self, ago: int) -> dict[str, Any]:
        content = sample("network_map", self.day(ago))
        content["entries"][0]["person"] = f"{display_name(self.first('mentor'))} (primary mentor)"
        return content

    def progress_report(self, ago: int) -> dict[str, Any]:
        statuses = [
            {"objective": text, "status": ("on_track", "completed", "behind")[i]}
            for i, (text, _, _) in enumerate(self.profile[5])
        ]
        return sample("progress_report", self.day(ago), objective_statuses=statuses)

    def join(self, ago: int, role: str, person: str) -> None:
        self.demo.at(ago)
        self.demo.mf.join(self.id, role, person, actor=COORDINATOR, session=self.demo.session)
        self.roles[role] = [*self.roles[role], person]

    def leave(self, ago: int, person: str, reason: str) -> None:
        self.demo.at(ago)
        self.demo.mf.leave(self.id, person, actor=person, reason=reason, session=self.demo.session)
        self.roles = {role: [p for p in people if p != person] for role, people in self.roles.items()}

    def meet(self, *agos: int, by: str | None = None) -> None:
        """A meeting record on each of those days, kept in turn by each participant (or always by ``by``)."""
        for ago in agos:
            keeper = by or self.everyone[(self.meetings + 1) % len(self.everyone)]
            self.submit(ago, "meeting", self.meeting(ago), keeper)


class Demo:
    def __init__(self, mf: Mentorflow, session: store.Session, now: dt.datetime) -> None:
        self.mf, self.session, self.now = mf, session, now
        self.today = now.date()
        self.created: Counter[str] = Counter()
        self._day: tuple[dt.date, int] = (self.today, 0)

    def at(self, ago: int) -> None:
        """Set the clock to a working hour ``ago`` days before today; calls on one day are minutes apart."""
        day = self.today - dt.timedelta(days=ago)
        calls = self._day[1] + 1 if self._day[0] == day else 0
        self._day = (day, calls)
        moment = dt.datetime.combine(day, dt.time(9), dt.UTC) + dt.timedelta(minutes=3 * calls)
        self.mf.clock = lambda: moment

    def start(
        self,
        ago: int,
        rel_id: str,
        workflow: str,
        roles: dict[str, list[str]],
        program: str,
        *,
        profile: int = 0,
        by: str | Actor = COORDINATOR,
    ) -> Rel:
        self.at(ago)
        self.mf.start(workflow, roles, actor=by, program=program, id=rel_id, session=self.session)
        self.created[workflow] += 1
        return Rel(self, rel_id, roles, profile)


# -- the story, one function per workflow; ``ago`` counts days before now ------------------------------------------
