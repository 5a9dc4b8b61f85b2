"""`visible_to` in the workflow language: stored only when given, checked against the roles."""

from __future__ import annotations

from mentorflow.definitions.models import Slot


def test_the_default_visibility_stays_out_of_the_stored_form() -> None:
    """Definitions written before `visible_to` existed dump, and so hash, as they did."""
    assert "visible_to" not in Slot(kind="note").model_dump()
    assert Slot(kind="note", visible_to=[]).model_dump()["visible_to"] == []
