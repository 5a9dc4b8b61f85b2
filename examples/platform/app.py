"""A minimal mentoring platform on Flask, with mentorflow embedded in its database and its transactions.

The platform owns people, programs and matches (its own SQLAlchemy tables); mentorflow owns the relationships.
Every request runs in one transaction of the platform's session, passed to mentorflow as ``session=``: when the
platform's write fails, mentorflow's write is rolled back with it. Notifications come from mentorflow's change
feed, relayed into the platform's own table by a worker (``flask ... feed-worker``): every committed change once,
whichever server wrote it.

Run it: ``pip install -e '.[platform]'`` then ``flask --app examples.platform.app run`` (SQLite in the current
directory; set ``PLATFORM_DB`` for another database). Requests name their user in the ``X-User`` header.

Every page reads as the user who asks (``actor=``): a stranger to a pair is refused, and a mentor never sees the
mentee's confidential evaluation. A participant's home page is built on ``person`` (their to-do list across pairs,
their network); a document page on ``document`` and ``diff``, with a sign button bound to the revision it shows.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template_string, request
from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from mentorflow import Actor, Blocked, Change, Mentorflow, MentorflowError, NotAllowed

log = logging.getLogger("platform")

STATUS_OF = {  # how mentorflow's error families map onto HTTP
    "relationship.not_found": 404,
    "workflow.not_found": 404,
    "transition.blocked": 409,
    "concurrency.conflict": 409,
    "actor.not_participant": 403,
    "actor.not_allowed": 403,
    "actor.not_owner": 403,
    "signature.not_signer": 403,
    "signature.stale": 409,
    "artifact.hidden": 403,
    "artifact.missing": 404,
    "artifact.unknown_slot": 404,
    "platform.unauthenticated": 401,
}


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "platform_users"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)


class Program(Base):
    __tablename__ = "platform_programs"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))


class Notification(Base):
    """What the feed worker wrote for a user: one row per change and person concerned."""

    __tablename__ = "platform_notifications"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(100), index=True)
    relationship_id: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(String(500))


class FeedCursor(Base):
    """How far the feed worker has read mentorflow's change feed: kept with the notifications it wrote."""

    __tablename__ = "platform_feed_cursor"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class Match(Base):
    """The platform's record of a pairing; one per mentee and program, enforced by the platform's schema."""

    __tablename__ = "platform_matches"
    __table_args__ = (UniqueConstraint("program_id", "mentee_id"),)

    relationship_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    program_id: Mapped[str] = mapped_column(ForeignKey("platform_programs.id"))
    mentor_id: Mapped[str] = mapped_column(ForeignKey("platform_users.id"))
    mentee_id: Mapped[str] = mapped_column(ForeignKey("platform_users.id"))


platform = Blueprint("platform", __name__)


def create_app(db_url: str | None = None, *, clock: Callable[[], dt.datetime] | None = None) -> Flask:
    """The platform: its tables and mentorflow's share one database and one transaction per request."""
    app = Flask(__name__)
    engine = create_engine(db_url or os.environ.get("PLATFORM_DB", "sqlite:///platform.db"))
    Base.metadata.create_all(engine)
    mf = Mentorflow(engine, clock=clock)
    mf.upgrade()
    app.extensions.update(platform_engine=engine, mentorflow=mf)
    app.register_blueprint(platform)

    @app.cli.command("feed-worker")
    def feed_worker() -> None:
        """Relay mentorflow's change feed into notifications every two seconds, until interrupted."""
        while True:
            if not relay_changes(app):
                time.sleep(2)

    app.register_error_handler(MentorflowError, refused)
    app.register_error_handler(IntegrityError, duplicate)
    return app


def _mf() -> Mentorflow:
    mf: Mentorflow = current_app.extensions["mentorflow"]
    return mf


@contextmanager
def transaction() -> Iterator[Session]:
    """The request's one transaction, shared by the platform's rows and mentorflow's."""
    with Session(current_app.extensions["platform_engine"]) as session, session.begin():
        yield session


class Unauthenticated(MentorflowError):
    """The platform's own error, in mentorflow's family so that one handler renders both."""

    code = "platform.unauthenticated"


def actor(session: Session) -> Actor:
    """The user named by the X-User header, as a mentorflow actor."""
    user = session.get(User, request.headers.get("X-User", ""))
    if user is None:
        raise Unauthenticated("unknown user; send your id in the X-User header")
    return Actor.admin(user.id) if user.admin else Actor.person(user.id)


def body() -> dict[str, Any]:
    """The request's JSON object, or the fields of a submitted HTML form (the sign button), numbers as numbers."""
    data = request.get_json(silent=True)
    if isinstance(data, dict):
        return data
    return {key: int(value) if value.isdigit() else value for key, value in request.form.items()}


def refused(error: MentorflowError) -> tuple[Response, int]:
    """mentorflow's refusals as JSON, with the HTTP status their code calls for."""
    payload: dict[str, Any] = {"code": error.code, "message": error.message, "hint": error.hint}
    if isinstance(error, Blocked):
        payload["blockers"] = [blocker.model_dump() for blocker in error.blockers]
    return jsonify(payload), STATUS_OF.get(error.code, 400)


def duplicate(error: IntegrityError) -> tuple[Response, int]:
    log.info("refused by the platform's constraints: %s", error.orig)
    return jsonify({"code": "platform.duplicate", "message": "this would duplicate an existing record"}), 409


@platform.post("/users")
def add_user() -> tuple[Response, int]:
    data = body()
    with transaction() as session:
        session.add(User(id=str(data["id"]), name=str(data.get("name", data["id"])), admin=bool(data.get("admin"))))
    return jsonify({"id": data["id"]}), 201


@platform.post("/programs")
def add_program() -> tuple[Response, int]:
    data = body()
    with transaction() as session:
        session.add(Program(id=str(data["id"]), title=str(data.get("title", data["id"]))))
    return jsonify({"id": data["id"]}), 201


@platform.post("/pairs")
def start_pair() -> tuple[Response, int]:
    """Match a mentor and a mentee in a program: the platform's row and mentorflow's start, atomically."""
    data = body()
    with transaction() as session:
        relationship = _mf().start(
            data.get("workflow", "traditional-dyad"),
            {"mentor": data["mentor"], "mentee": data["mentee"]},
            program=data["program"],
            actor=actor(session),
            session=session,
        )
        session.add(
            Match(
                relationship_id=relationship.id,
                program_id=data["program"],
                mentor_id=data["mentor"],
                mentee_id=data["mentee"],
            )
        )
        session.flush()  # the platform's constraints are checked here; a failure rolls back both
    return jsonify({"id": relationship.id, "state": relationship.state}), 201


@platform.get("/pairs/<rel>")
def pair_status(rel: str) -> Response:
    """Where a pair stands: its state, what each trigger waits for, what is due."""
    with transaction() as session:
        return jsonify(_mf().status(rel, actor=actor(session), session=session).model_dump(mode="json"))


@platform.post("/pairs/<rel>/artifacts/<slot>")
def submit(rel: str, slot: str) -> tuple[Response, int]:
    with transaction() as session:
        revision = _mf().submit(
            rel, slot, body().get("content"), actor=actor(session), item=body().get("item"), session=session
        )
    return jsonify(revision.model_dump(mode="json")), 201


@platform.post("/pairs/<rel>/artifacts/<slot>/sign")
def sign(rel: str, slot: str) -> tuple[Response, int]:
    """Sign the revision the page showed (``{"revision": N}``): never one submitted since the person read it."""
    with transaction() as session:
        shown = body()
        event = _mf().sign(
            rel, slot, actor=actor(session), revision=shown.get("revision", 0), item=shown.get("item"), session=session
        )
    return jsonify(event.model_dump(mode="json")), 201


@platform.post("/pairs/<rel>/fire/<trigger>")
def fire(rel: str, trigger: str) -> Response:
    """Fire a trigger; a 409 lists every blocker. A conversion names the relationship it started."""
    data = body()
    with transaction() as session:
        event = _mf().fire(
            rel,
            trigger,
            actor=actor(session),
            reason=data.get("reason"),
            force=bool(data.get("force", False)),
            session=session,
        )
        started = [
            e.payload["relationship"]
            for e in _mf().history(rel, actor=actor(session), session=session)
            if e.kind == "started_linked" and e.seq > event.seq
        ]
    return jsonify({**event.model_dump(mode="json"), "started": started})


@platform.get("/admin/dashboard")
def dashboard() -> Response:
    """The administrator's view: every pair with what it waits for, and the program's figures."""
    with transaction() as session:
        if actor(session).kind != "admin":
            raise NotAllowed("the dashboard is for administrators")
        program = request.args.get("program")
        summary, standings = _mf().overview(program=program, session=session)
        names = dict(session.execute(select(User.id, User.name)).all())
    return jsonify(
        {
            "summary": summary.model_dump(mode="json"),
            "pairs": [
                {
                    **standing.to_dict(),
                    "names": [names.get(p.person, p.person) for p in standing.participants],
                }
                for standing in standings
            ],
        }
    )


@platform.get("/notifications")
def list_notifications() -> Response:
    """The current user's notifications, newest last, as the feed worker wrote them."""
    with transaction() as session:
        user = actor(session).id
        rows = session.scalars(
            select(Notification.message).where(Notification.user_id == user).order_by(Notification.id)
        )
        return jsonify(list(rows))


# -- the feed worker: notifications from mentorflow's change feed -------------------------------------------------


def _message(change: Change) -> str:
    if change.kind == "reminder":
        return f"{change.relationship}: reminder, {change.payload['requirement']}"
    message = f"{change.relationship}: {change.kind}"
    if change.kind in ("transitioned", "overridden"):
        message += f" ({change.payload['from']} -> {change.payload['to']})"
    return message


def relay_changes(app: Flask) -> int:
    """One pass of the worker: turn the changes committed since the last pass into notifications; returns how many
    changes it read. The notifications and the new position commit together, so a worker that crashes in between
    reads the same changes again and writes them once: exactly once, whichever server wrote the changes."""
    mf: Mentorflow = app.extensions["mentorflow"]
    with Session(app.extensions["platform_engine"]) as session, session.begin():
        cursor = session.get(FeedCursor, "notifications", with_for_update=True) or FeedCursor(name="notifications")
        session.add(cursor)
        page = mf.changes(after=cursor.position or 0, limit=100)
        for change in page.changes:
            session.add_all(
                Notification(user_id=person, relationship_id=change.relationship, message=_message(change))
                for person in change.people
            )
        cursor.position = page.next
    return len(page.changes)


# -- a participant's pages: built on `person`, `document` and `diff`, each read as the user who asks --------------

HOME = """<!doctype html>
<title>{{ name }}: mentoring</title>
<h1>{{ name }}</h1>
<h2>To do</h2>
{% if view.todo %}<ul>
{% for task in view.todo %}
  <li>{{ task.action }} {{ task.slot or task.trigger }}{% if task.item %} item {{ task.item }}{% endif %}
    in <a href="/pairs/{{ task.relationship }}">{{ task.relationship }}</a>
    {%- if task.due_at %}, due {{ task.due_at.date() }}{% endif %}
    {%- if task.overdue %} <strong>(overdue)</strong>{% endif %}</li>
{% endfor %}
</ul>{% else %}<p>Nothing is waiting on you.</p>{% endif %}
<h2>Your network</h2>
<ul>
{% for entry in view.network %}
  <li>{{ names.get(entry.person, entry.person) }}: {{ entry.relation }} ({{ entry.source }})</li>
{% endfor %}
</ul>
{% if view.gaps %}<h2>Gaps to close</h2>
<ul>
{% for gap in view.gaps %}
  <li>{{ gap.need }}: {{ gap.action }}</li>
{% endfor %}
</ul>{% endif %}
"""

DOCUMENT = """<!doctype html>
<title>{{ doc.title }}</title>
<h1>{{ doc.title }}, revision {{ doc.revision }}</h1>
<p>Submitted by {{ doc.submitted_by }} on {{ doc.submitted_at.date() }}
  {%- if not doc.complete %}; still missing: {{ doc.missing | join(", ") }}{% endif %}.</p>
<p>Signed by:
  {% for s in doc.signatures %}{{ s.person }} ({{ s.role }}){% if not loop.last %}, {% endif %}
  {%- else %}nobody yet{% endfor %}.</p>
<dl>
{% for field, value in doc.content.items() %}
  <dt>{{ field.replace("_", " ") }}</dt><dd>{{ value }}</dd>
{% endfor %}
</dl>
{% if changes %}<h2>Changed since revision {{ doc.revision - 1 }}</h2>
<ul>
{% for c in changes %}
  <li>{{ c.path }}: {{ c.change }}{% if c.change == "changed" %} from {{ c.before }} to {{ c.after }}{% endif %}</li>
{% endfor %}
</ul>{% endif %}
{% if can_sign %}<form method="post" action="/pairs/{{ doc.relationship }}/artifacts/{{ doc.slot }}/sign">
  <input type="hidden" name="revision" value="{{ doc.revision }}">
  {% if doc.item %}<input type="hidden" name="item" value="{{ doc.item }}">{% endif %}
  <button>Sign revision {{ doc.revision }}</button>
</form>{% endif %}
"""


@platform.get("/me")
def home() -> str:
    """The participant's home page: what is waiting on them across their pairs, with due dates, and their network."""
    with transaction() as session:
        who = actor(session)
        view = _mf().person(who.id, actor=who, session=session)
        names = dict(session.execute(select(User.id, User.name)).all())
    return render_template_string(HOME, view=view, names=names, name=names.get(who.id, who.id))


@platform.get("/pairs/<rel>/documents/<slot>")
def document_page(rel: str, slot: str) -> str:
    """One document as its reader may see it (``?item=`` and ``?revision=``), what changed since the revision
    before, and a sign button that signs exactly the revision on the page."""
    item, revision = request.args.get("item", type=int), request.args.get("revision", type=int)
    with transaction() as session:
        who = actor(session)
        doc = _mf().document(rel, slot, item, revision, actor=who, session=session)
        changes = _mf().diff(rel, slot, doc.item, None, doc.revision, actor=who, session=session)
        status = _mf().status(rel, actor=who, session=session)
    unsigned = next(
        (a.unsigned for a in status.artifacts if (a.slot, a.item, a.revision) == (slot, doc.item, doc.revision)), []
    )
    first = doc.revision == 1
    return render_template_string(
        DOCUMENT, doc=doc, changes=[] if first else changes, can_sign=who.kind == "person" and who.id in unsigned
    )
