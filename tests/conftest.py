"""Shared fixtures: a database per test on SQLite and PostgreSQL, a fake clock, and a ``Mentorflow`` on both.

SQLite tests copy a template file migrated once per session. PostgreSQL tests share one schema per run (a random
name, migrated once, emptied before each test, dropped at the end), so that runs never see each other's rows; a
run spread over processes (``make test`` uses pytest-xdist) has such a session, and a schema, in each process.
Set ``MENTORFLOW_TEST_POSTGRES`` to a server URL to run them; on CI (``CI=true``) a missing URL is a failure.
The demo program is built once per backend and run, and copied into each test that asks for ``demo``.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session

from mentorflow import Mentorflow
from mentorflow.definitions import Registry
from mentorflow.demo import build_demo
from mentorflow.store.records import RelationshipRecords, records

POSTGRES_ENV = "MENTORFLOW_TEST_POSTGRES"
GATES_DIR = Path(__file__).parent / "engine" / "workflows"
"""The `gates` workflow: one trigger per requirement form, with the `note` artifact kind."""
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
TABLES = (
    "mentorflow_deliveries",
    "mentorflow_endpoints",
    "mentorflow_changes",
    "mentorflow_reminders",
    "mentorflow_phase_stays",
    "mentorflow_signatures",
    "mentorflow_revisions",
    "mentorflow_participants",
    "mentorflow_events",
    "mentorflow_relationships",
    "mentorflow_definitions",
)


class FakeClock:
    """A clock the tests move by hand; ``Mentorflow(clock=...)`` calls it for the current time."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, days: float = 0, *, hours: float = 0, seconds: float = 0) -> dt.datetime:
        self.now += dt.timedelta(days=days, hours=hours, seconds=seconds)
        return self.now

    def set(self, moment: dt.datetime) -> dt.datetime:
        self.now = moment
        return self.now


@dataclass(frozen=True)
class Database:
    """Where one test's rows live: ``url`` has the schema, ``empty_url`` is the same server without it."""

    backend: str
    url: str
    empty_url: str


@dataclass(frozen=True)
class _PostgresRun:
    base: str
    schema: str
    empty_schema: str
    admin: Engine

    def url(self, schema: str) -> str:
        # Durability is not under test: not waiting for the disk on each commit makes the suite several times faster.
        options = f"-csearch_path={schema} -csynchronous_commit=off"
        url = make_url(self.base).update_query_dict({"options": options})
        return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with the schema, migrated once; tests copy it."""
    path = tmp_path_factory.mktemp("template") / "mentorflow.db"
    mf = Mentorflow(f"sqlite:///{path}")
    try:
        mf.upgrade()
    finally:
        mf.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_run() -> Iterator[_PostgresRun]:
    """A fresh, migrated schema for this run on the server named by MENTORFLOW_TEST_POSTGRES."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:  # only reached on CI: elsewhere the `postgres` parameters are skipped (see POSTGRES)
        pytest.fail(f"{POSTGRES_ENV} is not set, and CI=true: the PostgreSQL tests must run on CI")
    token = secrets.token_hex(4)
    admin = create_engine(base)
    run = _PostgresRun(base, f"mf_test_{token}", f"mf_test_{token}_empty", admin)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{run.schema}"'))
            connection.execute(text(f'CREATE SCHEMA "{run.empty_schema}"'))
        mf = Mentorflow(run.url(run.schema))
        try:
            mf.upgrade()
        finally:
            mf.engine.dispose()
        yield run
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{run.schema}" CASCADE'))
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{run.empty_schema}" CASCADE'))
        admin.dispose()


def _empty(run: _PostgresRun) -> None:
    """Delete every mentorflow row (faster than TRUNCATE on tables this small)."""
    with run.admin.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        for table in TABLES:
            connection.execute(text(f'DELETE FROM "{run.schema}".{table}'))  # noqa: S608 - names are constants


POSTGRES = pytest.param(
    "postgres",
    marks=[
        pytest.mark.postgres,
        pytest.mark.skipif(
            not os.environ.get(POSTGRES_ENV) and os.environ.get("CI") != "true",
            reason="PostgreSQL tests need MENTORFLOW_TEST_POSTGRES, e.g. postgresql+psycopg://postgres@127.0.0.1/test",
        ),
    ],
)
"""The PostgreSQL parameter of ``database``: skipped where no server is named, except on CI, where it fails."""


@pytest.fixture(params=["sqlite", POSTGRES])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """A migrated, empty database for one test, on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "mentorflow.db"
        shutil.copyfile(template, path)
        return Database("sqlite", f"sqlite:///{path}", f"sqlite:///{tmp_path / 'empty.db'}")
    run: _PostgresRun = request.getfixturevalue("postgres_run")
    _empty(run)
    return Database("postgres", run.url(run.schema), run.url(run.empty_schema))


@pytest.fixture
def db_url(database: Database) -> str:
    """The URL of this test's database."""
    return database.url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


MakeMentorflow = Callable[..., Mentorflow]


def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
    """Durability is not under test: SQLite need not wait for the disk on each commit."""
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="session")
def builtin_registry() -> Registry:
    """The built-in definitions, loaded once: loading them takes a tenth of a second."""
    registry = Registry()
    registry.workflows()
    return registry


@pytest.fixture(scope="session")
def gates_registry() -> Registry:
    registry = Registry([GATES_DIR])
    registry.workflows()
    return registry


@pytest.fixture
def make_mf(db_url: str, clock: FakeClock, builtin_registry: Registry) -> Iterator[MakeMentorflow]:
    """Build more ``Mentorflow`` objects on this test's database (disposed at the end)."""
    made: list[Mentorflow] = []

    def make(
        *,
        workflow_dirs: Sequence[str | Path] = (),
        clock: Callable[[], dt.datetime] | None = clock,
        db: str | None = None,
        registry: Registry | None = None,
        **kwargs: Any,
    ) -> Mentorflow:
        mf = Mentorflow(db or db_url, workflow_dirs=workflow_dirs, clock=clock, **kwargs)
        if mf.engine.dialect.name == "sqlite":
            event.listen(mf.engine, "connect", _no_fsync)
        if registry is not None or not workflow_dirs:
            mf.registry = registry or builtin_registry
        made.append(mf)
        return mf

    yield make
    for mf in made:
        mf.engine.dispose()


@pytest.fixture
def mf(make_mf: MakeMentorflow) -> Mentorflow:
    """A ``Mentorflow`` on this test's database, with the built-in workflows and the fake clock."""
    return make_mf()


@pytest.fixture
def gates(make_mf: MakeMentorflow, gates_registry: Registry) -> Mentorflow:
    """A ``Mentorflow`` that also knows the `gates` test workflow."""
    return make_mf(workflow_dirs=[GATES_DIR], registry=gates_registry)


WriteDefinition = Callable[[str], Path]


@pytest.fixture
def workflow_dir(tmp_path: Path) -> WriteDefinition:
    """Write a YAML definition (dedented) into a fresh directory for ``workflow_dirs``; returns the directory."""
    directory = tmp_path / "workflows"
    directory.mkdir()
    counter = iter(range(1_000))

    def write(yaml_text: str) -> Path:
        (directory / f"definition_{next(counter)}.yaml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
        return directory

    return write


@pytest.fixture(scope="session")
def _sqlite_demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, builtin_registry: Registry) -> Path:
    """An SQLite file holding the demo program, built once at ``START``; ``demo`` copies it."""
    path = tmp_path_factory.mktemp("demo") / "mentorflow.db"
    shutil.copyfile(sqlite_template, path)
    _build_demo(f"sqlite:///{path}", builtin_registry)
    return path


@pytest.fixture(scope="session")
def _postgres_demo(postgres_run: _PostgresRun, builtin_registry: Registry) -> Iterator[str]:
    """A schema of this run holding the demo program, built once at ``START``; ``demo`` copies its rows."""
    schema = f"{postgres_run.schema}_demo"
    with postgres_run.admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        mf = Mentorflow(postgres_run.url(schema))
        try:
            mf.upgrade()
        finally:
            mf.engine.dispose()
        _build_demo(postgres_run.url(schema), builtin_registry)
        yield schema
    finally:
        with postgres_run.admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _build_demo(url: str, registry: Registry) -> None:
    clock = FakeClock()
    mf = Mentorflow(url, clock=clock)
    mf.registry = registry
    try:
        build_demo(mf, clock())
    finally:
        mf.engine.dispose()


def _copy_postgres(run: _PostgresRun, source: str) -> None:
    """Every row of ``source`` into this run's (emptied) schema, and its id sequences moved past them."""
    with run.admin.begin() as connection:
        for table in reversed(TABLES):  # parents first
            connection.execute(text(f'INSERT INTO "{run.schema}".{table} SELECT * FROM "{source}".{table}'))  # noqa: S608
        serial = text(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = :schema AND column_default LIKE 'nextval%'"
        )
        for table, column in connection.execute(serial, {"schema": run.schema}).all():
            qualified = f'"{run.schema}".{table}'
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{qualified}', '{column}'),"  # noqa: S608 - names are the catalogue's
                    f" (SELECT coalesce(max({column}), 0) + 1 FROM {qualified}), false)"
                )
            )


@pytest.fixture
def demo(request: pytest.FixtureRequest, database: Database, mf: Mentorflow) -> Mentorflow:
    """``mf`` on a database holding the demo program as ``build_demo(mf, START)`` writes it, cached by its tick.

    Built once per backend and run, then copied: building it takes seconds, copying it a few milliseconds.
    """
    mf.engine.dispose()  # nothing of the empty database stays open under the copy
    if database.backend == "sqlite":
        shutil.copyfile(request.getfixturevalue("_sqlite_demo"), make_url(database.url).database or "")
    else:
        _copy_postgres(request.getfixturevalue("postgres_run"), request.getfixturevalue("_postgres_demo"))
    return mf


def stored_records(mf: Mentorflow, rel_id: str) -> RelationshipRecords:
    """One relationship's rows as `verify` reads them, for tests that forge or drop some before checking."""
    with Session(mf.engine) as session:
        [found] = [rows for rows in records(session) if rows.row.id == rel_id]
    return found
