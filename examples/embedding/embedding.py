"""mentorflow inside a platform: the platform's own table and mentorflow's writes in one transaction.

A tiny "platform" keeps its mentor matches and mentor trainings in its own tables, on its own SQLAlchemy engine,
and embeds mentorflow for the workflow. The script shows a match and the first plan committed together, a
rollback undoing both, notifications sent only after commit, a custom guard reading the platform's data, how a
view would turn errors into HTTP answers, the clock, and the pages a participant reads: their to-do list and a
document, read as them. Run it with ``python examples/embedding/embedding.py``;
docs/embedding.md walks through it, and tests/test_embedding_docs.py keeps the two in sync.
"""
# ruff: noqa: T201 - an example script talks to its reader on stdout

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Engine, String, create_engine, event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from mentorflow import (
    Actor,
    ActorError,
    ArtifactHidden,
    Blocked,
    ConcurrencyConflict,
    Event,
    GuardContext,
    Mentorflow,
    MentorflowError,
    NotFound,
    SignatureError,
    StorageError,
)

# --8<-- [start:logging]
# mentorflow hands its events to the standard library's "mentorflow" logger and prints nothing by itself.
# A platform that wants them sets a level and a handler, and lets structlog render them:
structlog.configure(processors=[structlog.stdlib.add_log_level, structlog.stdlib.ProcessorFormatter.wrap_for_formatter])
handler = logging.StreamHandler()
handler.setFormatter(structlog.stdlib.ProcessorFormatter(processor=structlog.processors.JSONRenderer()))
logging.getLogger("mentorflow").addHandler(handler)
logging.getLogger("mentorflow").setLevel(logging.WARNING)  # INFO logs every write
# --8<-- [end:logging]

WORKFLOW = """\
mentorflow: 1
workflow: summer-pairing
version: 1
title: Summer research pairing
description: Ten weeks pairing a trained mentor with a summer research student.
roles:
  mentor: {min: 1, max: 1}
  mentee: {min: 1, max: 1}
artifacts:
  plan: {kind: idp, submitted_by: [mentee]}
  meeting: {kind: meeting, repeatable: true}
  journal: {kind: reflection, submitted_by: [mentee], visible_to: []}   # the student's own, and the staff's
states:
  matched:
    initial: true
    obligations:
      - {complete: plan, within_days: 14}
  active:
    obligations:
      - {count: meeting, min: 1, every_days: 14}
  finished: {final: true}
  lapsed: {final: true}
  cancelled: {final: true}
transitions:
  - trigger: begin
    from: matched
    to: active
    by: [mentor]
    requires:
      - complete: plan
      - check: completed_training
        args: {role: mentor}
  - trigger: finish
    from: active
    to: finished
    requires:
      - {count: meeting, min: 1}
  - trigger: lapse
    from: matched
    to: lapsed
    after_days: 30
  - trigger: cancel
    from: "*"
    to: cancelled
    reason: required
"""

PLAN = {
    "self_assessment": {
        "skills": ["Python", "Lab safety"],
        "interests": ["Protein folding"],
        "values": ["Curiosity"],
    },
    "long_term_goals": ["Apply to PhD programs in biophysics"],
    "objectives": [
        {"description": "Present a poster at the summer symposium", "category": "research", "target_date": "2026-08-07"}
    ],
}

JOURNAL = {
    "definition_of_success": "A poster I am proud of, and knowing whether research is for me.",
    "strengths": ["Persistence"],
    "values": ["Curiosity"],
}

workdir = Path(tempfile.mkdtemp(prefix="mentorflow-example-"))
(workdir / "workflows").mkdir()
(workdir / "workflows" / "summer-pairing.yaml").write_text(WORKFLOW, encoding="utf-8")


# --8<-- [start:platform]
class Base(DeclarativeBase):
    pass


class Match(Base):
    """The platform's own record of a pairing; a student has one match at a time."""

    __tablename__ = "platform_matches"
    id: Mapped[int] = mapped_column(primary_key=True)
    mentor: Mapped[str] = mapped_column(String(200))
    mentee: Mapped[str] = mapped_column(String(200), unique=True)
    relationship_id: Mapped[str] = mapped_column(String(200))


class Training(Base):
    """Mentors who have completed the platform's mentor training."""

    __tablename__ = "platform_trainings"
    person: Mapped[str] = mapped_column(String(200), primary_key=True)
    completed_on: Mapped[dt.date]


# --8<-- [end:platform]


# --8<-- [start:engine]
def sqlite_transactions(engine: Engine) -> Engine:
    """Let SQLAlchemy, not the sqlite3 module, begin transactions, so that savepoints nest properly.

    This is SQLAlchemy's documented recipe for pysqlite. Without it a savepoint opened at the start of a
    transaction commits on release, and a later rollback cannot undo what mentorflow wrote.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


class Clock:
    """The platform's clock; tests and "as of" reports move it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


engine = sqlite_transactions(create_engine(f"sqlite:///{workdir / 'platform.db'}"))
Base.metadata.create_all(engine)  # the platform's tables
clock = Clock(dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC))
mf = Mentorflow(engine, workflow_dirs=[workdir / "workflows"], clock=clock)
mf.upgrade()  # mentorflow's tables, prefixed mentorflow_, beside the platform's
# --8<-- [end:engine]


# --8<-- [start:notify]
def notify(event: Event) -> None:
    """Called once per event, after the transaction that wrote it commits (never for a rollback)."""
    if event.kind in ("started", "transitioned"):
        state = event.payload.get("state") or event.payload.get("to")
        print(f"  notify: {event.relationship} is now {state} (by {event.actor})")


mf.subscribe(notify)
# --8<-- [end:notify]


# --8<-- [start:guard]
@mf.guard("completed_training")
def completed_training(ctx: GuardContext) -> str | None:
    """`check: completed_training` in the YAML: every holder of the role has done the platform's training."""
    people = ctx.participants.get(str(ctx.args.get("role", "mentor")), [])
    with Session(engine) as session:
        trained = set(session.scalars(select(Training.person).where(Training.person.in_(people))))
    untrained = [person for person in people if person not in trained]
    if untrained:
        return f"{', '.join(untrained)} must complete the mentor training first"
    return None


# --8<-- [end:guard]


# --8<-- [start:handler]
HTTP_STATUS = {NotFound: 404, ActorError: 403, SignatureError: 403, ConcurrencyConflict: 409, StorageError: 503}


def fire_for_user(relationship: str, trigger: str, user: str, *, staff: bool = False) -> tuple[int, dict[str, Any]]:
    """What a Flask, Django or FastAPI view calls: an HTTP status and a JSON body."""
    actor = Actor.admin(user) if staff else user
    try:
        event = mf.fire(relationship, trigger, actor=actor)
    except Blocked as blocked:
        blockers = [{"code": b.code, "message": b.message} for b in blocked.blockers]
        return 409, {"error": blocked.code, "blockers": blockers}
    except MentorflowError as error:
        status = next((code for kind, code in HTTP_STATUS.items() if isinstance(error, kind)), 400)
        return status, {"error": error.code, "message": error.message, "hint": error.hint}
    return 200, {"relationship": relationship, "state": event.payload["to"]}


# --8<-- [end:handler]


print("1. A match and the student's plan, in one transaction")
# --8<-- [start:transaction]
with Session(engine) as session, session.begin():
    session.add(Match(mentor="dr.okafor", mentee="ana.silva", relationship_id="summer-ana"))
    mf.start(
        "summer-pairing",
        {"mentor": ["dr.okafor"], "mentee": ["ana.silva"]},
        id="summer-ana",
        program="summer-2026",
        actor=Actor.admin("coordinator"),
        session=session,
    )
    plan = mf.submit("summer-ana", "plan", PLAN, actor="ana.silva", session=session)
    print(f"  in the transaction: plan revision {plan.revision}, complete: {plan.complete}")
print("  committed")
# --8<-- [end:transaction]

print("2. A second match for the same student fails, and takes mentorflow's writes with it")
# --8<-- [start:rollback]
try:
    with Session(engine) as session, session.begin():
        mf.start(
            "summer-pairing",
            {"mentor": ["dr.haddad"], "mentee": ["ana.silva"]},
            id="summer-ana-2",
            actor=Actor.admin("coordinator"),
            session=session,
        )
        session.add(Match(mentor="dr.haddad", mentee="ana.silva", relationship_id="summer-ana-2"))
        session.flush()  # the platform's unique constraint: one match per student
except IntegrityError:
    print("  rolled back: ana.silva already has a match")
try:
    mf.status("summer-ana-2")
except NotFound as error:
    print(f"  summer-ana-2: {error.code}")
# --8<-- [end:rollback]

print("3. Blocked, until the platform records the mentor's training")
# --8<-- [start:blocked]
status, body = fire_for_user("summer-ana", "begin", "dr.okafor")
print(f"  {status} {body['error']}")
for blocker in body["blockers"]:
    print(f"    - {blocker['code']}: {blocker['message']}")

with Session(engine) as session, session.begin():
    session.add(Training(person="dr.okafor", completed_on=dt.date(2026, 6, 2)))

status, body = fire_for_user("summer-ana", "begin", "dr.okafor")
print(f"  {status} {body}")
# --8<-- [end:blocked]

print("4. Errors carry a code and a hint")
# --8<-- [start:errors]
for relationship, trigger, user in [("summer-ana", "finish", "someone.else"), ("summer-bob", "begin", "dr.okafor")]:
    status, body = fire_for_user(relationship, trigger, user)
    print(f"  {status} error[{body['error']}]: {body['message']}")
    print(f"      hint: {body['hint']}")
# --8<-- [end:errors]

print("5. The clock: a pairing nobody acts on lapses, and the audit is as of the clock")
# --8<-- [start:clock]
mf.start("summer-pairing", {"mentor": "dr.cho", "mentee": "ben.carter"}, id="summer-ben", actor="ben.carter")
clock.now += dt.timedelta(days=31)
fired = mf.tick()  # the system fires timed transitions that are due; run it from a daily job
print(f"  tick fired {len(fired)} transition(s), as {fired[0].actor}")
for standing in mf.audit(overdue=True):
    for late in standing.overdue:
        print(f"  overdue: {standing.id} ({standing.state}): {late.requirement}, due {late.due_at:%Y-%m-%d}")
# --8<-- [end:clock]

print("6. Each person's pages: their to-do list, and documents read as them")


# --8<-- [start:pages]
def home_page(user: str) -> list[str]:
    """A participant's home page: what waits on them across relationships, with due dates, and their network."""
    view = mf.person(user, actor=user)
    lines = [f"  {user} has {len(view.todo)} thing(s) to do"]
    for task in view.todo:
        due = "" if task.due_at is None else f", due {task.due_at:%Y-%m-%d}" + (" (overdue)" if task.overdue else "")
        lines.append(f"    {task.action} {task.slot or task.trigger} in {task.relationship}{due}")
    return lines + [f"    works with {entry.person} ({entry.relation})" for entry in view.network]


def document_page(relationship: str, slot: str, user: str) -> list[str]:
    """A document page: the revision shown (a sign button would send its number) and what changed since."""
    try:
        document = mf.document(relationship, slot, actor=user)
    except ArtifactHidden as error:
        return [f"  403 error[{error.code}]: {error.message}"]
    lines = [f"  {document.title}, revision {document.revision}, by {document.submitted_by}"]
    return lines + [f"    {change.change}: {change.path}" for change in mf.diff(relationship, slot, actor=user)]


goals = [*PLAN["long_term_goals"], "Publish the summer project"]
mf.submit("summer-ana", "plan", {**PLAN, "long_term_goals": goals}, actor="ana.silva")
mf.submit("summer-ana", "journal", JOURNAL, actor="ana.silva")
for line in home_page("dr.okafor"):
    print(line)
for slot in ("plan", "journal"):
    for line in document_page("summer-ana", slot, "dr.okafor"):
        print(line)
# --8<-- [end:pages]

print("7. A worker follows the change feed: every committed change once, in order, whichever process wrote it")


# --8<-- [start:feed]
def follow_feed(after: int) -> int:
    """One poll: hand each change committed since position ``after`` to the platform; returns the next ``after``.

    A real worker keeps the returned position in the platform's database, in the same transaction as the work
    the changes caused, and polls again every few seconds.
    """
    page = mf.changes(after=after, limit=100)
    for change in page.changes:  # a reminder's `people` are who must act; an event's, who is in the relationship
        print(f"  {change.position} {change.kind} in {change.relationship}, for {', '.join(change.people)}")
    return page.next


position = follow_feed(after=0)
print(f"  read up to position {position}; nothing new: {follow_feed(position) == position}")
# --8<-- [end:feed]

print(f"8. verify: {'ok' if mf.verify().ok else 'BROKEN'}")
engine.dispose()
shutil.rmtree(workdir)
