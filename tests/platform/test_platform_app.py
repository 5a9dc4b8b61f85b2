"""The example platform driven over HTTP with Flask's test client: mentorflow inside a real application."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from examples.platform.app import create_app, relay_changes
from flask import Flask
from flask.testing import FlaskClient

from mentorflow import Mentorflow
from tests.content import valid


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 9, 1, 9, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Iterator[Flask]:
    """The platform with an administrator, a mentor, two mentees and a program."""
    application = create_app(f"sqlite:///{tmp_path / 'platform.db'}", clock=clock)
    client = application.test_client()
    for user in ({"id": "carol", "admin": True}, {"id": "ann"}, {"id": "bob"}, {"id": "cy"}):
        assert client.post("/users", json=user).status_code == 201
    assert client.post("/programs", json={"id": "fall-2026"}).status_code == 201
    yield application
    application.extensions["mentorflow"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def call(client: FlaskClient, user: str, method: str, url: str, **json: Any) -> Any:
    """One request as ``user``; returns the JSON answer, asserting a 2xx status."""
    response = client.open(url, method=method, json=json or None, headers={"X-User": user})
    assert response.status_code < 300, response.get_json()
    return response.get_json()


def test_a_traditional_dyad_from_match_to_completion(client: FlaskClient, clock: Clock, app: Flask) -> None:
    """A whole dyad over HTTP: blockers shown, artifacts submitted and signed, every trigger fired."""
    pair = call(client, "carol", "POST", "/pairs", mentor="ann", mentee="bob", program="fall-2026")["id"]
    blocked = client.post(f"/pairs/{pair}/fire/negotiate", headers={"X-User": "bob"})
    assert blocked.status_code == 409
    assert [b["code"] for b in blocked.get_json()["blockers"]] == ["artifact.missing"]

    call(client, "bob", "POST", f"/pairs/{pair}/artifacts/idp", content=valid("idp"))
    call(client, "bob", "POST", f"/pairs/{pair}/fire/negotiate")
    call(client, "ann", "POST", f"/pairs/{pair}/artifacts/agreement", content=valid("agreement"))
    waiting = call(client, "ann", "GET", f"/pairs/{pair}")
    launch = next(t for t in waiting["triggers"] if t["trigger"] == "launch")
    assert [b["code"] for b in launch["blockers"]] == ["artifact.unsigned"] * 4
    for person in ("ann", "bob"):
        for slot in ("agreement", "idp"):
            call(client, person, "POST", f"/pairs/{pair}/artifacts/{slot}/sign", revision=1)
    call(client, "ann", "POST", f"/pairs/{pair}/fire/launch")
    for _ in range(3):
        clock.now += dt.timedelta(days=14)
        call(client, "ann", "POST", f"/pairs/{pair}/artifacts/meeting", content=valid("meeting"))
    call(client, "bob", "POST", f"/pairs/{pair}/artifacts/reflection", content=valid("reflection"))
    call(client, "bob", "POST", f"/pairs/{pair}/fire/deepen")
    call(client, "bob", "POST", f"/pairs/{pair}/artifacts/network_map", content=valid("network_map"))
    call(client, "bob", "POST", f"/pairs/{pair}/artifacts/progress_report", content=valid("progress_report"))
    for person in ("ann", "bob"):
        call(client, person, "POST", f"/pairs/{pair}/artifacts/progress_report/sign", revision=1)
    call(client, "ann", "POST", f"/pairs/{pair}/fire/conclude")
    for person in ("ann", "bob"):
        call(client, person, "POST", f"/pairs/{pair}/artifacts/evaluation", content=valid("evaluation"))
    done = call(client, "bob", "POST", f"/pairs/{pair}/fire/complete")
    assert done["payload"]["to"] == "completed"
    status = call(client, "carol", "GET", f"/pairs/{pair}")
    assert (status["state"], status["outcome"]) == ("completed", "success")
    assert relay_changes(app) > 0
    assert relay_changes(app) == 0  # each change relayed once
    notes = call(client, "ann", "GET", "/notifications")
    assert notes[0] == f"{pair}: started"
    assert f"{pair}: transitioned (concluding -> completed)" in notes
    assert notes == call(client, "bob", "GET", "/notifications")
    assert call(client, "cy", "GET", "/notifications") == []
    assert app.extensions["mentorflow"].verify().ok


def test_a_signature_lands_only_on_the_revision_the_page_showed(client: FlaskClient) -> None:
    """The sign button sends the revision shown; one submitted since is a 409 `signature.stale`, nothing signed."""
    pair = call(client, "carol", "POST", "/pairs", mentor="ann", mentee="bob", program="fall-2026")["id"]
    call(client, "ann", "POST", f"/pairs/{pair}/artifacts/agreement", content=valid("agreement"))
    changed = valid("agreement")
    changed["confidentiality"] = "Anything may be shared."
    call(client, "bob", "POST", f"/pairs/{pair}/artifacts/agreement", content=changed)
    stale = client.post(f"/pairs/{pair}/artifacts/agreement/sign", json={"revision": 1}, headers={"X-User": "ann"})
    assert (stale.status_code, stale.get_json()["code"]) == (409, "signature.stale")
    agreement = next(a for a in call(client, "ann", "GET", f"/pairs/{pair}")["artifacts"] if a["slot"] == "agreement")
    assert (agreement["revision"], agreement["signed_by"]) == (2, [])


def test_a_micro_mentoring_conversion(client: FlaskClient) -> None:
    """A micro-mentoring pair converts into a dyad that starts with the carried, signed IDP."""
    pair = call(
        client, "carol", "POST", "/pairs", workflow="micro-mentoring", mentor="ann", mentee="cy", program="fall-2026"
    )["id"]
    call(client, "cy", "POST", f"/pairs/{pair}/artifacts/idp", content=valid("idp"))
    call(client, "cy", "POST", f"/pairs/{pair}/artifacts/brief", content=valid("micro_brief"))
    for person in ("ann", "cy"):
        call(client, person, "POST", f"/pairs/{pair}/artifacts/idp/sign", revision=1)
    call(client, "ann", "POST", f"/pairs/{pair}/fire/schedule")
    call(client, "ann", "POST", f"/pairs/{pair}/artifacts/meeting", content=valid("meeting"))
    call(client, "cy", "POST", f"/pairs/{pair}/fire/hold")
    call(client, "cy", "POST", f"/pairs/{pair}/artifacts/conversion", content=valid("consent"))
    for person in ("ann", "cy"):
        call(client, person, "POST", f"/pairs/{pair}/artifacts/conversion/sign", revision=1)
    converted = call(client, "cy", "POST", f"/pairs/{pair}/fire/convert")
    [dyad] = converted["started"]
    status = call(client, "cy", "GET", f"/pairs/{dyad}")
    assert status["workflow"] == "traditional-dyad"
    idp = next(a for a in status["artifacts"] if a["slot"] == "idp")
    assert (idp["complete"], sorted(idp["signed_by"])) == (True, ["ann", "cy"])
    assert next(t for t in status["triggers"] if t["trigger"] == "negotiate")["allowed"]


def test_a_failed_platform_write_rolls_back_mentorflow(client: FlaskClient, app: Flask) -> None:
    """A second match of the same mentee in a program breaks the platform's constraint: no relationship is left."""
    mf: Mentorflow = app.extensions["mentorflow"]
    call(client, "carol", "POST", "/pairs", mentor="ann", mentee="bob", program="fall-2026")
    before = list(mf.relationship_ids())
    duplicate = client.post(
        "/pairs", json={"mentor": "cy", "mentee": "bob", "program": "fall-2026"}, headers={"X-User": "carol"}
    )
    assert duplicate.status_code == 409
    assert duplicate.get_json()["code"] == "platform.duplicate"
    assert list(mf.relationship_ids()) == before
    assert mf.verify().ok
    relay_changes(app)
    assert call(client, "bob", "GET", "/notifications") == [f"{before[0]}: started"]  # the failed start never was


def test_the_admin_dashboard(client: FlaskClient) -> None:
    """The dashboard lists each pair with what it waits for, and the program's figures; admins only."""
    call(client, "carol", "POST", "/pairs", mentor="ann", mentee="bob", program="fall-2026")
    dashboard = call(client, "carol", "GET", "/admin/dashboard?program=fall-2026")
    assert dashboard["summary"]["total"] == 1
    [pair] = dashboard["pairs"]
    assert pair["blockers"][0]["code"] == "artifact.missing"
    assert pair["names"] == ["ann", "bob"]
    refused = client.get("/admin/dashboard", headers={"X-User": "bob"})
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("user", "url", "status", "code"),
    [
        ("nobody", "/pairs/x", 401, "platform.unauthenticated"),
        ("carol", "/pairs/nope", 404, "relationship.not_found"),
    ],
)
def test_errors_become_http_answers(client: FlaskClient, user: str, url: str, status: int, code: str) -> None:
    """mentorflow's error codes map onto HTTP statuses, with the message and hint."""
    response = client.get(url, headers={"X-User": user})
    assert response.status_code == status
    assert response.get_json()["code"] == code


def test_the_feed_worker_relays_reminders_too(
    client: FlaskClient, app: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`flask feed-worker` relays until nothing is new, then waits; a reminder reaches the people who must act."""
    pair = call(client, "carol", "POST", "/pairs", mentor="ann", mentee="bob", program="fall-2026")["id"]
    clock.now += dt.timedelta(days=30)
    assert app.extensions["mentorflow"].run_tick().reminders

    def stop(_seconds: float) -> None:
        raise SystemExit(0)

    monkeypatch.setattr("examples.platform.app.time.sleep", stop)
    result = app.test_cli_runner().invoke(args=["feed-worker"])
    assert result.exit_code == 0, result.output
    assert f"{pair}: reminder, idp complete within 30 days" in call(client, "bob", "GET", "/notifications")
    assert not any("reminder" in note for note in call(client, "ann", "GET", "/notifications"))
