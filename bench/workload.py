"""The data the benchmarks run on: realistic relationships made through the API, then cloned with SQL.

Making 100k relationships through the API would take most of an hour, so a few hundred are played through the
public API at varied stages of all five built-in workflows (with the injectable clock, so their events are dated
over the months before ``AS_OF``), and their rows are then copied with ``INSERT ... SELECT`` under new ids, in
batches, across relationships, participants, revisions, signatures and events. A clone is its source with a
suffix on the relationship id and on the people's ids; its hash chain is not recomputed (no benchmark verifies
chains), so ``verify`` reports clones as broken.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session
from timing import AS_OF, ROOT

sys.path.insert(0, str(ROOT))  # tests/content.py holds complete and draft contents of every built-in kind

from mentorflow import Actor, Mentorflow
from tests.content import incomplete, valid

FIRE_PROGRAM = "bench-fire"
"""The program of the traditional dyads the fire benchmarks launch: each waits in ``negotiating``, signed."""
ADMIN = Actor.admin("coordinator")


class Clock:
    """A clock the seeding moves forward by hand, so each relationship's events are spread over days."""

    def __init__(self) -> None:
        self.now = AS_OF

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, moment: dt.datetime) -> None:
        self.now = min(moment, AS_OF - dt.timedelta(minutes=1))

    def days(self, rng: random.Random, low: float = 0.5, high: float = 6.0) -> None:
        self.at(self.now + dt.timedelta(days=rng.uniform(low, high)))


def synchronous(engine: Engine, mode: Callable[[], str]) -> None:
    """Set SQLite's ``synchronous`` on every new connection of ``engine`` to ``mode()`` at that time."""

    @event.listens_for(engine, "connect")
    def _pragma(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA synchronous={mode()}")
        cursor.close()


def _meeting(rng: random.Random, people: list[str]) -> dict[str, Any]:
    content = valid("meeting")
    content["attendees"] = people
    content["topics"] = rng.sample(["goals", "a draft", "the job market", "teaching", "a grant", "networking"], 2)
    return content


def _evaluation(role: str) -> dict[str, Any]:
    content = valid("evaluation")
    content["respondent_role"] = role
    return content


class Player:
    """Plays relationships of every built-in workflow through the public API, up to a chosen stage."""

    def __init__(self, mf: Mentorflow, clock: Clock, rng: random.Random, session: Session | None) -> None:
        self.mf = mf
        self.clock = clock
        self.rng = rng
        self.session = session
        self.people = 0
        self.read: dict[tuple[str, str], int] = {}
        """The revision of each slot last submitted: the one the people sign."""

    def person(self, prefix: str) -> str:
        self.people += 1
        return f"{prefix}{self.people:05d}"

    def start(self, workflow: str, roles: dict[str, list[str]], program: str, days_ago: float) -> str:
        self.clock.at(AS_OF - dt.timedelta(days=days_ago))
        rel = self.mf.start(workflow, roles, actor=ADMIN, program=program, session=self.session)
        return rel.id

    def submit(self, rel: str, slot: str, content: dict[str, Any], who: str) -> None:
        self.clock.days(self.rng)
        self.read[(rel, slot)] = self.mf.submit(rel, slot, content, actor=who, session=self.session).revision

    def sign(self, rel: str, slot: str, *people: str) -> None:
        for who in people:
            self.clock.days(self.rng, 0.1, 2)
            self.mf.sign(rel, slot, actor=who, revision=self.read[(rel, slot)], session=self.session)

    def fire(self, rel: str, trigger: str, who: str | Actor, reason: str | None = None) -> None:
        self.clock.days(self.rng, 0.1, 2)
        self.mf.fire(rel, trigger, actor=who, reason=reason, session=self.session)

    def meetings(self, rel: str, count: int, people: list[str]) -> None:
        for _ in range(count):
            self.clock.days(self.rng, 7, 21)
            self.mf.submit(
                rel, "meeting", _meeting(self.rng, people), actor=self.rng.choice(people), session=self.session
            )

    # -- the five built-ins -------------------------------------------------------------------------------------

    def dyad(self, stage: int, program: str = "fall-2025") -> str:
        """0 preparing, 1 draft IDP, 2-3 negotiating, 4 early, 5 later, 6 concluding, 7 completed, 8 withdrawn."""
        mentor, mentee = self.person("mentor"), self.person("mentee")
        rel = self.start(
            "traditional-dyad", {"mentor": [mentor], "mentee": [mentee]}, program, self.rng.uniform(20, 330)
        )
        reached = self.rng.randint(0, 5) if stage == 8 else stage
        if reached >= 1:
            self.submit(rel, "idp", incomplete("idp"), mentee)
        if reached >= 2:
            self.submit(rel, "idp", valid("idp"), mentee)
            self.fire(rel, "negotiate", mentee)
        if reached >= 3:
            self.submit(rel, "agreement", valid("agreement"), mentor)
            self.sign(rel, "agreement", mentor)
            self.sign(rel, "idp", mentee)
        if reached >= 4:
            self.sign(rel, "agreement", mentee)
            self.sign(rel, "idp", mentor)
            self.fire(rel, "launch", mentor)
            self.meetings(rel, 3 if reached > 4 else self.rng.randint(0, 3), [mentor, mentee])
        if reached >= 5:
            self.submit(rel, "reflection", valid("reflection"), mentee)
            self.fire(rel, "deepen", mentee)
            self.meetings(rel, self.rng.randint(0, 3), [mentor, mentee])
            self.submit(rel, "progress_report", valid("progress_report"), mentee)
        if reached >= 6:
            self.submit(rel, "network_map", valid("network_map"), mentee)
            self.sign(rel, "progress_report", mentor, mentee)
            self.fire(rel, "conclude", mentor)
            if self.rng.random() < 0.5 or reached > 6:
                self.submit(rel, "evaluation", _evaluation("mentee"), mentee)
        if reached >= 7:
            self.submit(rel, "evaluation", _evaluation("mentor"), mentor)
            self.fire(rel, "complete", mentee)
        if stage == 8:
            self.fire(rel, "withdraw", mentee, reason="moved to another institution")
        return rel

    def informal(self, stage: int) -> str:
        """0 forming, 1 ground rules partly signed, 2 meeting, 3 closed, 4 dissolved."""
        peers = [self.person("peer") for _ in range(self.rng.randint(2, 5))]
        rel = self.start("informal-peer", {"peer": peers}, "writing-circles", self.rng.uniform(20, 300))
        reached = self.rng.randint(0, 2) if stage == 4 else stage
        if reached >= 1:
            self.submit(rel, "agreement", valid("agreement"), peers[0])
            self.sign(rel, "agreement", *peers[: self.rng.randint(1, len(peers) - 1)])
        if reached >= 2:
            self.sign(rel, "agreement", *[p for p in peers if p not in self._signed(rel, "agreement")])
            self.fire(rel, "convene", peers[0])
            self.meetings(rel, 1 if reached > 2 else self.rng.randint(0, 3), peers)
        if reached >= 3:
            self.fire(rel, "close", peers[-1])
        if stage == 4:
            self.fire(rel, "dissolve", peers[0], reason="schedules no longer fit")
        return rel

    def facilitated(self, stage: int) -> str:
        """0 recruiting, 1 launched, 2 in session, 3 evaluating, 4 concluded, 5 cancelled."""
        facilitators = [self.person("fac") for _ in range(self.rng.randint(1, 2))]
        members = [self.person("member") for _ in range(self.rng.randint(3, 6))]
        everyone = facilitators + members
        rel = self.start(
            "facilitated-peer",
            {"facilitator": facilitators, "member": members},
            "new-faculty",
            self.rng.uniform(20, 300),
        )
        reached = self.rng.randint(0, 3) if stage == 5 else stage
        if reached == 0 and self.rng.random() < 0.5:
            self.submit(rel, "curriculum", incomplete("curriculum"), facilitators[0])
        if reached >= 1:
            self.submit(rel, "curriculum", valid("curriculum"), facilitators[0])
            self.fire(rel, "launch", facilitators[0])
            self.submit(rel, "agreement", valid("agreement"), facilitators[0])
            self.sign(rel, "agreement", *everyone[: self.rng.randint(1, len(everyone) - 1)])
        if reached >= 2:
            self.sign(rel, "agreement", *[p for p in everyone if p not in self._signed(rel, "agreement")])
            self.fire(rel, "begin", members[0])
            self.meetings(rel, 4 if reached > 2 else self.rng.randint(0, 4), everyone[:3])
        if reached >= 3:
            self.fire(rel, "wrap_up", facilitators[0])
            done = everyone if reached > 3 else everyone[: self.rng.randint(0, len(everyone) - 1)]
            for who in done:
                self.submit(rel, "evaluation", _evaluation("facilitator" if who in facilitators else "member"), who)
        if reached >= 4:
            self.fire(rel, "conclude", facilitators[-1])
        if stage == 5:
            self.fire(rel, "cancel", facilitators[0], reason="too few members could attend")
        return rel

    def group(self, stage: int) -> str:
        """0 forming, 1 chartered, 2 active, 3 concluding, 4 completed, 5 disbanded."""
        mentors = [self.person("gmentor") for _ in range(self.rng.randint(2, 3))]
        mentees = [self.person("gmentee") for _ in range(self.rng.randint(3, 6))]
        everyone = mentors + mentees
        rel = self.start("group", {"mentor": mentors, "mentee": mentees}, "lab-groups", self.rng.uniform(20, 330))
        reached = self.rng.randint(0, 3) if stage == 5 else stage
        plans = mentees if reached >= 1 else mentees[: self.rng.randint(0, len(mentees) - 1)]
        for mentee in plans:
            self.submit(rel, "idp", valid("idp"), mentee)
        if reached >= 1:
            self.fire(rel, "charter", mentors[0])
            self.submit(rel, "agreement", valid("agreement"), mentors[0])
            self.sign(rel, "agreement", *everyone[: self.rng.randint(1, len(everyone) - 1)])
        if reached >= 2:
            self.sign(rel, "agreement", *[p for p in everyone if p not in self._signed(rel, "agreement")])
            self.fire(rel, "activate", mentors[0])
            self.meetings(rel, 6 if reached > 2 else self.rng.randint(0, 6), everyone[:4])
            reporting = mentees if reached > 2 else mentees[: self.rng.randint(0, len(mentees))]
            for mentee in reporting:
                self.submit(rel, "progress_report", valid("progress_report"), mentee)
        if reached >= 3:
            self.fire(rel, "conclude", mentors[0])
            done = everyone if reached > 3 else everyone[: self.rng.randint(0, len(everyone) - 1)]
            for who in done:
                self.submit(rel, "evaluation", _evaluation("mentor" if who in mentors else "mentee"), who)
        if reached >= 4:
            self.fire(rel, "complete", mentees[0])
        if stage == 5:
            self.fire(rel, "disband", mentors[0], reason="the lab closed")
        return rel

    def micro(self, stage: int) -> str:
        """0 requested, 1 scheduled, 2 met, 3 closed, 4 converted, 5 declined, 6 expired."""
        mentor, mentee = self.person("expert"), self.person("asker")
        days_ago = self.rng.uniform(60, 200) if stage == 6 else self.rng.uniform(5, 200)
        rel = self.start("micro-mentoring", {"mentor": [mentor], "mentee": [mentee]}, "ask-an-expert", days_ago)
        reached = {5: 0, 6: self.rng.randint(0, 1)}.get(stage, stage)
        if reached == 0 and self.rng.random() < 0.6:
            self.submit(rel, "idp", valid("idp"), mentee)
        if reached >= 1:
            self.submit(rel, "idp", valid("idp"), mentee)
            self.submit(rel, "brief", valid("micro_brief"), mentee)
            self.fire(rel, "schedule", mentor)
        if reached >= 2:
            self.meetings(rel, 1, [mentor, mentee])
            self.fire(rel, "hold", mentee)
        if stage == 3:
            self.fire(rel, "close", mentor)
        if stage == 4:
            self.submit(rel, "conversion", valid("consent"), mentee)
            self.sign(rel, "conversion", mentee, mentor)
            self.fire(rel, "convert", mentee)
        if stage == 5:
            self.fire(rel, "decline", mentor, reason="outside my expertise")
        if stage == 6:
            self.clock.days(self.rng, 31, 40)
            self.fire(rel, "expire", Actor.system())
        return rel

    def _signed(self, rel: str, slot: str) -> set[str]:
        status = self.mf.status(rel, session=self.session)
        return {person for artifact in status.artifacts if artifact.slot == slot for person in artifact.signed_by}

    def realistic(self, count: int) -> None:
        """``count`` relationships across the five built-ins, each played to a random stage."""
        plays: list[tuple[Callable[[int], str], int, float]] = [
            (self.dyad, 9, 0.35),
            (self.informal, 5, 0.15),
            (self.facilitated, 6, 0.1),
            (self.group, 6, 0.1),
            (self.micro, 7, 0.3),
        ]
        for index in range(count):
            play, stages, _ = (
                plays[index % len(plays)]
                if index < len(plays)
                else self.rng.choices(plays, weights=[weight for *_, weight in plays])[0]
            )
            play(self.rng.randrange(stages))

    def fire_ready(self, count: int) -> None:
        """``count`` traditional dyads waiting in ``negotiating`` with the agreement and the IDP signed by both."""
        for _ in range(count):
            mentor, mentee = self.person("mentor"), self.person("mentee")
            rel = self.start(
                "traditional-dyad", {"mentor": [mentor], "mentee": [mentee]}, FIRE_PROGRAM, self.rng.uniform(20, 60)
            )
            self.submit(rel, "idp", valid("idp"), mentee)
            self.fire(rel, "negotiate", mentee)
            self.submit(rel, "agreement", valid("agreement"), mentor)
            self.sign(rel, "agreement", mentor, mentee)
            self.sign(rel, "idp", mentee, mentor)


def seed(mf: Mentorflow, *, realistic: int, fire_ready: int, seed_value: int = 20260601) -> None:
    """Play the seed relationships through the API, all in one transaction of the caller's session."""
    clock = Clock()
    mf.clock = clock
    rng = random.Random(seed_value)  # noqa: S311 - reproducible data, not secrets
    with Session(mf.engine) as session:
        player = Player(mf, clock, rng, session)
        player.realistic(realistic)
        player.fire_ready(fire_ready)
        session.commit()
    mf.clock = lambda: AS_OF


# -- cloning ----------------------------------------------------------------------------------------------------

_COPIES = "bench_copies"


def _person(column: str) -> str:
    return f"{column} || '~' || c.k"


def clone(engine: Engine, where: str, first: int, last: int, *, limit: int | None = None) -> None:
    """Copy the relationships matching ``where`` (on alias ``s``) as copies ``first..last``, ids suffixed ``~k``.

    With ``limit``, only the first ``limit`` matching relationships (by id) are copied. Revision ids are shifted past
    the current maximum, one span of the sources' ids per copy, so each copy's signatures point at its own revisions.
    """
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE IF NOT EXISTS {_COPIES} (k INTEGER PRIMARY KEY)"))
        connection.execute(text(f"DELETE FROM {_COPIES}"))
        connection.execute(text(f"INSERT INTO {_COPIES} (k) VALUES (:k)"), [{"k": k} for k in range(first, last + 1)])
        chosen = f"SELECT s.id FROM mentorflow_relationships s WHERE {where} ORDER BY s.id"
        if limit is not None:
            chosen += f" LIMIT {int(limit)}"
        ids = f"relationship_id IN ({chosen})"
        offset = connection.execute(text("SELECT coalesce(max(id), 0) FROM mentorflow_revisions")).scalar_one()
        span = connection.execute(
            text(f"SELECT coalesce(max(id), 0) FROM mentorflow_revisions WHERE {ids}")
        ).scalar_one()
        new_revision = f"{offset} + (c.k - {first}) * {span}"
        rel_id = "relationship_id || '~' || c.k"
        connection.execute(
            text(f"""
            INSERT INTO mentorflow_relationships (id, workflow, workflow_version, definition_hash, state, final,
                program, started_at, entered_at, last_event_at, seq, last_hash, lock_version)
            SELECT r.id || '~' || c.k, r.workflow, r.workflow_version, r.definition_hash, r.state, r.final,
                r.program, r.started_at, r.entered_at, r.last_event_at, r.seq, r.last_hash, r.lock_version
            FROM mentorflow_relationships r CROSS JOIN {_COPIES} c WHERE r.id IN ({chosen})""")
        )
        connection.execute(
            text(f"""
            INSERT INTO mentorflow_participants (relationship_id, person, role, joined_at, left_at)
            SELECT {rel_id}, {_person("person")}, role, joined_at, left_at
            FROM mentorflow_participants CROSS JOIN {_COPIES} c WHERE {ids} ORDER BY c.k, id""")
        )
        connection.execute(
            text(f"""
            INSERT INTO mentorflow_revisions (id, relationship_id, slot, item, number, content, content_hash,
                complete, missing, submitted_by, submitted_at, origin)
            SELECT {new_revision} + id, {rel_id}, slot, item, number, content, content_hash, complete, missing,
                {_person("submitted_by")}, submitted_at, origin
            FROM mentorflow_revisions CROSS JOIN {_COPIES} c WHERE {ids}""")
        )
        connection.execute(
            text(f"""
            INSERT INTO mentorflow_signatures (revision_id, relationship_id, person, role, content_hash, signed_at)
            SELECT {new_revision} + revision_id, {rel_id}, {_person("person")}, role, content_hash, signed_at
            FROM mentorflow_signatures CROSS JOIN {_COPIES} c WHERE {ids} ORDER BY c.k, id""")
        )
        connection.execute(
            text(f"""
            INSERT INTO mentorflow_events (relationship_id, seq, kind, actor, at, payload, hash)
            SELECT {rel_id}, seq, kind,
                CASE WHEN actor LIKE 'admin:%' OR actor = 'system' THEN actor ELSE {_person("actor")} END,
                at, payload, hash
            FROM mentorflow_events CROSS JOIN {_COPIES} c WHERE {ids} ORDER BY c.k, relationship_id, seq""")
        )
        if engine.dialect.name == "postgresql":  # explicit ids do not move the sequence
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('mentorflow_revisions', 'id'), "
                    "(SELECT max(id) FROM mentorflow_revisions))"
                )
            )


def count(engine: Engine, where: str = "1=1") -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text(f"SELECT count(*) FROM mentorflow_relationships s WHERE {where}")).scalar_one()
        )


def grow(engine: Engine, target: int, *, batch: int = 20) -> None:
    """Clone every relationship not made for the fire benchmarks until ``target`` are stored in all."""
    where = f"(s.program IS NULL OR s.program <> '{FIRE_PROGRAM}') AND s.id NOT LIKE '%~%'"
    per_copy = count(engine, where)
    missing = target - count(engine)
    copy = 1
    while missing > 0:
        copies = min(batch, missing // per_copy)
        if copies == 0:
            clone(engine, where, copy, copy, limit=missing)
            break
        clone(engine, where, copy, copy + copies - 1)
        copy += copies
        missing -= copies * per_copy


def copy_database(source: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
