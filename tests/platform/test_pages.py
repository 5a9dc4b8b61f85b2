"""The example platform's pages read as the user who asks: home page, document page, refusals over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from examples.platform.app import create_app
from flask import Flask
from flask.testing import FlaskClient

from tests.content import valid
from tests.platform.test_platform_app import Clock, call


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The platform with an administrator, a mentor and a mentee matched in a program, and a stranger."""
    application = create_app(f"sqlite:///{tmp_path / 'platform.db'}", clock=Clock())
    client = application.test_client()
    for user in ({"id": "carol", "admin": True}, {"id": "ann", "name": "Dr. Ann"}, {"id": "bob"}, {"id": "eve"}):
        assert client.post("/users", json=user).status_code == 201
    assert client.post("/programs", json={"id": "fall-2026"}).status_code == 201
    yield application
    application.extensions["mentorflow"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def pair(client: FlaskClient) -> str:
    pair: str = call(client, "carol", "POST", "/pairs", mentor="ann", mentee="bob", program="fall-2026")["id"]
    return pair


def page(client: FlaskClient, user: str, url: str) -> str:
    response = client.get(url, headers={"X-User": user})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_a_mentor_is_refused_the_mentees_evaluation(client: FlaskClient, pair: str) -> None:
    """403 `artifact.hidden` for the mentor; the mentee and the administrator read it; the mentor's status omits it."""
    call(client, "bob", "POST", f"/pairs/{pair}/artifacts/evaluation", content=valid("evaluation"))
    refused = client.get(f"/pairs/{pair}/documents/evaluation", headers={"X-User": "ann"})
    assert (refused.status_code, refused.get_json()["code"]) == (403, "artifact.hidden")
    assert "Evaluation, revision 1" in page(client, "bob", f"/pairs/{pair}/documents/evaluation")
    assert "Evaluation, revision 1" in page(client, "carol", f"/pairs/{pair}/documents/evaluation")
    artifacts = call(client, "ann", "GET", f"/pairs/{pair}")["artifacts"]
    assert [a["slot"] for a in artifacts] == []


@pytest.mark.parametrize("url", ["/pairs/{pair}", "/pairs/{pair}/documents/idp"])
def test_a_stranger_is_refused_every_page_of_a_pair(client: FlaskClient, pair: str, url: str) -> None:
    """Every page checks who asks: someone outside the pair gets 403 `actor.not_participant`."""
    call(client, "bob", "POST", f"/pairs/{pair}/artifacts/idp", content=valid("idp"))
    response = client.get(url.format(pair=pair), headers={"X-User": "eve"})
    assert (response.status_code, response.get_json()["code"]) == (403, "actor.not_participant")


def test_the_home_page_lists_what_waits_on_the_user_and_their_network(client: FlaskClient, pair: str) -> None:
    """Built on `person`: the plan to submit, with its due date, and the mentor by the platform's name."""
    home = page(client, "bob", "/me")
    assert re.search(r"submit idp\s+in <a href=\"/pairs/" + pair + '">' + pair + r"</a>, due 2026-10-01", home)
    assert "<li>Dr. Ann: mentor (" + pair + ")</li>" in home
    assert "Nothing is waiting on you." in page(client, "ann", "/me")


def _sign_form(html: str) -> dict[str, Any]:
    form = re.search(
        r'<form method="post" action="(?P<action>[^"]+)">.*?name="revision" value="(?P<rev>\d+)"', html, re.DOTALL
    )
    assert form is not None, html
    return {"action": form["action"], "revision": form["rev"]}


def test_the_sign_button_signs_the_revision_the_page_shows(client: FlaskClient, pair: str) -> None:
    """The document page shows revision 2 with what changed; its button posts revision 2, which is signed."""
    call(client, "bob", "POST", f"/pairs/{pair}/artifacts/idp", content=valid("idp"))
    changed = valid("idp")
    changed["objectives"][1]["target_date"] = "2027-01-15"
    call(client, "bob", "POST", f"/pairs/{pair}/artifacts/idp", content=changed)
    html = page(client, "ann", f"/pairs/{pair}/documents/idp")
    assert "Individual Development Plan, revision 2" in html
    assert "objectives[1].target_date: changed from 2026-12-01 to 2027-01-15" in html
    form = _sign_form(html)
    assert form["revision"] == "2"
    signed = client.post(form["action"], data={"revision": form["revision"]}, headers={"X-User": "ann"})
    assert signed.status_code == 201, signed.get_json()
    assert signed.get_json()["payload"]["revision"] == 2
    assert "Sign revision" not in page(client, "ann", f"/pairs/{pair}/documents/idp")  # signed: no button
    assert "Sign revision" not in page(client, "ann", f"/pairs/{pair}/documents/idp?revision=1")  # an old one


def test_an_old_page_cannot_sign_a_newer_revision(client: FlaskClient, pair: str) -> None:
    """A page read before a new revision posts the revision it showed: 409 `signature.stale`, nothing signed."""
    call(client, "bob", "POST", f"/pairs/{pair}/artifacts/idp", content=valid("idp"))
    form = _sign_form(page(client, "ann", f"/pairs/{pair}/documents/idp"))
    changed = valid("idp")
    changed["career_stage"] = "early_career"
    call(client, "bob", "POST", f"/pairs/{pair}/artifacts/idp", content=changed)
    stale = client.post(form["action"], data={"revision": form["revision"]}, headers={"X-User": "ann"})
    assert (stale.status_code, stale.get_json()["code"]) == (409, "signature.stale")
