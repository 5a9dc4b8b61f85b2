"""Checkpoints catch what no check inside the database can: a relationship deleted whole, a chain cut or rewritten.

A checkpoint is taken, then the database is edited by hand in SQL as someone with write access would. `verify`
alone may pass (nothing is left to check); `verify --checkpoint` exits 1 naming exactly the relationship, on
SQLite and PostgreSQL alike. Writes made the normal way after the checkpoint keep it passing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, delete, text

from mentorflow import Actor, Checkpoint, CheckpointInvalid, Mentorflow
from mentorflow.audit.checkpoint import parse, root_of
from mentorflow.canonical import event_hash
from mentorflow.cli import cli, integrity
from mentorflow.store import heads
from mentorflow.store.tables import EventRow, ParticipantRow, RelationshipRow
from tests.conftest import Database
from tests.content import valid
from tests.reliability.test_tampering import TARGET, _populate

BY_HAND = {
    "delete the relationship": [
        "DELETE FROM mentorflow_phase_stays WHERE relationship_id = :rel",
        "DELETE FROM mentorflow_signatures WHERE relationship_id = :rel",
        "DELETE FROM mentorflow_revisions WHERE relationship_id = :rel",
        "DELETE FROM mentorflow_participants WHERE relationship_id = :rel",
        "DELETE FROM mentorflow_events WHERE relationship_id = :rel",
        "DELETE FROM mentorflow_relationships WHERE id = :rel",
    ],
    "cut the chain": [
        (
            "DELETE FROM mentorflow_events WHERE relationship_id = :rel AND seq = "
            "(SELECT max(seq) FROM mentorflow_events WHERE relationship_id = :rel)"
        ),
    ],
}


def _run(database: Database, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", database.url, *args])


def _edit(database: Database, statements: list[str]) -> None:
    engine = create_engine(database.url)
    try:
        with engine.begin() as connection:
            changed = [connection.execute(text(statement), {"rel": TARGET}).rowcount for statement in statements]
        assert changed[-1] >= 1, statements[-1]
    finally:
        engine.dispose()


def _take(database: Database, tmp_path: Path) -> Path:
    path = tmp_path / "checkpoint.json"
    result = _run(database, "checkpoint", "--output", str(path))
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize("case", sorted(BY_HAND))
def test_verify_with_a_checkpoint_names_what_was_removed(database: Database, tmp_path: Path, case: str) -> None:
    """After a removal by hand, `verify --checkpoint` exits 1 naming the victim alone and saying what happened."""
    _populate(database.url)
    path = _take(database, tmp_path)
    _edit(database, BY_HAND[case])
    if case == "delete the relationship":
        assert _run(database, "verify").exit_code == 0  # nothing is left inside the database to check
    result = _run(database, "verify", "--checkpoint", str(path))
    assert result.exit_code == 1
    assert f"failed verification: {TARGET}" in result.stderr
    assert ("was deleted" if case == "delete the relationship" else "its chain was cut") in result.stdout
    assert "bystander" not in result.stdout


def test_a_rewritten_chain_is_named_though_it_is_consistent(database: Database, tmp_path: Path) -> None:
    """A last event replaced by another with a correct hash passes the chain check, but not the checkpoint."""
    _populate(database.url)
    path = _take(database, tmp_path)
    engine = create_engine(database.url)
    try:
        with engine.begin() as connection:
            seq, kind, actor, at, payload, previous = connection.execute(
                text(
                    "SELECT e.seq, e.kind, e.actor, e.at, e.payload, p.hash FROM mentorflow_events e "
                    "JOIN mentorflow_events p ON p.relationship_id = e.relationship_id AND p.seq = e.seq - 1 "
                    "WHERE e.relationship_id = :rel ORDER BY e.seq DESC LIMIT 1"
                ),
                {"rel": TARGET},
            ).one()
            forged = json.loads(payload) | {"note": "forged"}
            at_text = (at if isinstance(at, str) else at.isoformat()).replace(" ", "T")
            stamp = at_text if "+" in at_text else at_text + "+00:00"
            new_hash = event_hash(previous, TARGET, seq, kind, actor, stamp, forged)
            connection.execute(
                text(
                    "UPDATE mentorflow_events SET payload = :payload, hash = :hash WHERE relationship_id = :rel "
                    "AND seq = :seq"
                ),
                {"payload": json.dumps(forged), "hash": new_hash, "rel": TARGET, "seq": seq},
            )
            connection.execute(
                text("UPDATE mentorflow_relationships SET last_hash = :hash WHERE id = :rel"),
                {"hash": new_hash, "rel": TARGET},
            )
    finally:
        engine.dispose()
    result = _run(database, "verify", "--checkpoint", str(path))
    assert result.exit_code == 1
    assert "was rewritten after the checkpoint" in result.stdout


def test_normal_writes_after_a_checkpoint_keep_it_passing(database: Database, tmp_path: Path) -> None:
    """A checkpoint is a lower bound: chains that grew since, and relationships started since, are fine."""
    _populate(database.url)
    path = _take(database, tmp_path)
    mf = Mentorflow(database.url)
    try:
        mf.submit(TARGET, "agreement", valid("agreement"), actor=f"m-{TARGET}")
        mf.start("informal-peer", {"peer": ["p1", "p2"]}, actor=Actor.admin(), id="later")
    finally:
        mf.engine.dispose()
    result = _run(database, "verify", "--checkpoint", str(path))
    assert result.exit_code == 0, result.output
    assert "nothing lost since the checkpoint of" in result.stdout


def test_the_checkpoint_states_the_log(mf: Mentorflow) -> None:
    """Its heads are each chain's last event, sorted by id, and its root is their canonical hash."""
    admin = Actor.admin()
    for rel_id in ("b-pair", "a-pair"):
        mf.start("traditional-dyad", {"mentor": f"m-{rel_id}", "mentee": f"e-{rel_id}"}, actor=admin, id=rel_id)
    mf.submit("a-pair", "idp", valid("idp"), actor="e-a-pair")
    checkpoint = mf.checkpoint()
    assert [(head.id, head.seq) for head in checkpoint.heads] == [("a-pair", 2), ("b-pair", 1)]
    assert [head.hash for head in checkpoint.heads] == [mf.history(rel)[-1].hash for rel in ("a-pair", "b-pair")]
    assert (checkpoint.relationships, checkpoint.events, checkpoint.mentorflow_checkpoint) == (2, 3, 1)
    assert checkpoint.root == root_of(checkpoint.heads)
    assert parse(checkpoint.model_dump_json()) == checkpoint
    assert mf.verify(checkpoint=checkpoint).ok


def _written(mf: Mentorflow) -> dict[str, object]:
    mf.start("informal-peer", {"peer": ["p1", "p2"]}, actor=Actor.admin(), id="peers")
    value: dict[str, object] = json.loads(mf.checkpoint().model_dump_json())
    return value


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["heads"][0].update(seq=0), "does not match its own root"),
        (lambda c: c.update(root="0" * 64), "does not match its own root"),
        (lambda c: c.update(mentorflow_checkpoint=2), "is not a mentorflow checkpoint (at mentorflow_checkpoint)"),
        (lambda c: c.pop("heads"), "is not a mentorflow checkpoint (at heads)"),
        (lambda c: c["heads"].append(dict(c["heads"][0])), "names a relationship twice"),
    ],
)
def test_an_edited_checkpoint_is_refused(mf: Mentorflow, change: object, message: str) -> None:
    """A checkpoint is refused unless it is whole and its root matches the heads as written."""
    written = _written(mf)
    change(written)  # type: ignore[operator]
    if "twice" in message:
        written["root"] = root_of(Checkpoint.model_validate(written).heads)
    with pytest.raises(CheckpointInvalid, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(json.dumps(written))


def test_a_checkpoint_nested_past_the_json_reader_is_refused() -> None:
    """JSON nested deeper than the reader's recursion is not a checkpoint: refused, never an internal error."""
    with pytest.raises(CheckpointInvalid, match="is not a mentorflow checkpoint"):
        parse('{"heads": ' + "[" * 100_000 + "]" * 100_000 + "}")


def test_bad_checkpoint_files_exit_1(database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A missing, unreadable, non-JSON or oversized file is a clear error, never a crash."""
    _populate(database.url)
    cases = {"missing.json": None, "garbage.json": b"not json", "binary.json": b"\xff\xfe", "big.json": b"{" * 100}
    monkeypatch.setattr(integrity, "MAX_CHECKPOINT_BYTES", 64)
    for name, data in cases.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        result = _run(database, "verify", "--checkpoint", str(path))
        assert result.exit_code == 1, name
        code = "input.too_large" if name == "big.json" else "checkpoint.invalid"
        assert f"error[{code}]" in result.stderr, (name, result.stderr)


def test_checkpoint_is_for_administrators(database: Database, tmp_path: Path) -> None:
    """With --as a person and no --admin it is refused; an administrator, or the bare operator, may run it."""
    _populate(database.url)
    refused = _run(database, "--as", "e-victim", "checkpoint")
    assert refused.exit_code == 1
    assert "error[actor.not_allowed]" in refused.stderr
    allowed = _run(database, "--as", "ops", "--admin", "checkpoint")
    assert allowed.exit_code == 0, allowed.output
    assert parse(allowed.stdout).relationships == 3


def test_a_checkpoint_larger_than_one_batch_is_proved_whole(mf: Mentorflow, monkeypatch: pytest.MonkeyPatch) -> None:
    """The recorded positions are looked up in batches: every batch counts, the last partial one too."""
    monkeypatch.setattr(heads, "BATCH", 2)
    for index in range(5):
        mf.start("informal-peer", {"peer": [f"p{index}", f"q{index}"]}, actor=Actor.admin(), id=f"circle-{index}")
    checkpoint = mf.checkpoint()
    assert mf.verify(checkpoint=checkpoint).ok
    with mf.engine.begin() as connection:
        connection.execute(delete(EventRow).where(EventRow.relationship_id == "circle-4"))
        connection.execute(delete(ParticipantRow).where(ParticipantRow.relationship_id == "circle-4"))
        connection.execute(delete(RelationshipRow).where(RelationshipRow.id == "circle-4"))
    [broken] = mf.verify(checkpoint=checkpoint).broken
    assert broken.relationship == "circle-4"
