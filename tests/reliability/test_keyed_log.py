"""A keyed log: someone who can write to the database, but has no key, cannot forge an event that `verify` accepts.

Without a key, a signature appended by hand with a correct hash and its matching row passes `verify` (the chain,
the replay and the rows all agree). With the key, every event carries an HMAC of its hash, and the same forgery is
named, as are a wrong MAC, an unknown key, and a MAC stripped from an event. Keys rotate: old events verify under
the key they were written with, so long as it stays in the keyring.
"""

from __future__ import annotations

import json
import secrets

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, func, insert, select, update

from mentorflow import Actor, CheckpointInvalid, InvalidInput, Mentorflow
from mentorflow.audit.checkpoint import parse
from mentorflow.canonical import event_hash
from mentorflow.cli import cli
from mentorflow.keys import ENV, Keyring, key_id
from mentorflow.store.db import from_db
from mentorflow.store.tables import EventRow, RelationshipRow, RevisionRow, SignatureRow
from tests.conftest import Database, FakeClock
from tests.content import latest, valid

KEY = secrets.token_urlsafe(32)
NEW_KEY = secrets.token_urlsafe(32)


def _pair(mf: Mentorflow, rel_id: str = "pair") -> str:
    mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin(), id=rel_id)
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.sign(rel_id, "idp", actor="bob", revision=latest(mf, rel_id, "idp"))
    return rel_id


def _forge_mentor_signature(connection: Connection, rel_id: str, *, mac: str | None, key: str | None) -> None:
    """Append ann's signature on the plan, as a writer without the key would: a correct hash, a matching row."""
    row = connection.execute(select(RelationshipRow).where(RelationshipRow.id == rel_id)).one()
    last = connection.execute(select(EventRow).where(EventRow.relationship_id == rel_id, EventRow.seq == row.seq)).one()
    revision = connection.execute(
        select(RevisionRow).where(RevisionRow.relationship_id == rel_id, RevisionRow.slot == "idp")
    ).one()
    payload = {
        "content_hash": revision.content_hash,
        "item": None,
        "person": "ann",
        "revision": revision.number,
        "role": "mentor",
        "slot": "idp",
    }
    seq = row.seq + 1
    forged = event_hash(row.last_hash, rel_id, seq, "signed", "ann", from_db(last.at).isoformat(), payload)
    connection.execute(
        insert(EventRow).values(
            relationship_id=rel_id,
            seq=seq,
            kind="signed",
            actor="ann",
            at=last.at,
            payload=json.dumps(payload),
            hash=forged,
            mac=mac,
            key_id=key,
        )
    )
    connection.execute(
        insert(SignatureRow).values(
            revision_id=revision.id,
            relationship_id=rel_id,
            person="ann",
            role="mentor",
            content_hash=revision.content_hash,
            signed_at=last.at,
        )
    )
    connection.execute(
        update(RelationshipRow)
        .where(RelationshipRow.id == rel_id)
        .values(seq=seq, last_hash=forged, lock_version=row.lock_version + 1)
    )


def test_every_event_of_a_keyed_log_carries_a_mac(db_url: str, clock: FakeClock) -> None:
    """Events are signed with the first key; the key's id is stored, the key itself nowhere."""
    mf = Mentorflow(db_url, clock=clock, key=KEY)
    try:
        _pair(mf)
        with mf.engine.connect() as connection:
            rows = connection.execute(select(EventRow.key_id, EventRow.mac, EventRow.hash)).all()
            dumped = " ".join(str(value) for row in connection.execute(select(EventRow)) for value in row)
        assert {row.key_id for row in rows} == {key_id(KEY)}
        assert all(Keyring([KEY]).verifies(row.key_id, row.hash, row.mac) for row in rows)
        assert KEY not in dumped
        report = mf.verify()
        assert (report.ok, report.keyed, report.events, report.key_checked) == (True, 3, 3, True)
    finally:
        mf.engine.dispose()


@pytest.mark.parametrize(
    ("mac", "key", "problem"),
    [
        (None, None, "has no MAC though the log was keyed by then"),
        ("0" * 64, key_id(KEY), "has a MAC that does not verify"),
        ("0" * 64, key_id(NEW_KEY), f"is signed with key {key_id(NEW_KEY)}, not in the keyring"),
    ],
    ids=["no mac", "wrong mac", "unknown key"],
)
def test_a_forged_event_passes_without_the_key_and_fails_with_it(
    database: Database, clock: FakeClock, mac: str | None, key: str | None, problem: str
) -> None:
    """The forged signature fools `verify` without a key (the reason to key a log), and is named with it."""
    keyed = Mentorflow(database.url, clock=clock, key=KEY)
    unkeyed = Mentorflow(database.url, clock=clock, key=[])  # an empty list: explicitly no key
    try:
        rel_id = _pair(keyed)
        with keyed.engine.begin() as connection:
            _forge_mentor_signature(connection, rel_id, mac=mac, key=key)
        assert unkeyed.verify().ok
        [broken] = keyed.verify().broken
        assert broken.relationship == rel_id
        assert [p for p in broken.problems if problem in p], broken.problems
    finally:
        keyed.engine.dispose()
        unkeyed.engine.dispose()


def test_events_from_before_the_key_still_verify_but_later_unkeyed_ones_do_not(db_url: str, clock: FakeClock) -> None:
    """A log keyed mid-life: old events carry no MAC and pass; an unkeyed event dated after keying began fails."""
    plain = Mentorflow(db_url, clock=clock, key=[])
    keyed = Mentorflow(db_url, clock=clock, key=KEY)
    try:
        _pair(plain, "old")
        clock.advance(1)
        _pair(keyed, "new")
        report = keyed.verify()
        assert (report.ok, report.keyed, report.events) == (True, 3, 6)
        clock.advance(1)
        plain.submit("old", "meeting", valid("meeting"), actor="ann")  # a writer without the key, after keying
        [broken] = keyed.verify().broken
        assert broken.relationship == "old"
        assert any("has no MAC though the log was keyed by then" in p for p in broken.problems)
    finally:
        plain.engine.dispose()
        keyed.engine.dispose()


def test_rotation_keeps_old_events_verifying(db_url: str, clock: FakeClock) -> None:
    """After a rotation (the new key first, the old one kept), both generations verify; drop the old key and its
    events are named."""
    old = Mentorflow(db_url, clock=clock, key=KEY)
    rotated = Mentorflow(db_url, clock=clock, key=f"{NEW_KEY},{KEY}")
    only_new = Mentorflow(db_url, clock=clock, key=NEW_KEY)
    try:
        _pair(old)
        rotated.sign("pair", "idp", actor="ann", revision=latest(rotated, "pair", "idp"))
        with rotated.engine.connect() as connection:
            ids = connection.execute(select(EventRow.key_id, func.count()).group_by(EventRow.key_id)).all()
        assert dict(ids) == {key_id(KEY): 3, key_id(NEW_KEY): 1}
        assert rotated.verify().ok
        assert rotated.verify().unknown_keys == []
        report = only_new.verify()
        [broken] = report.broken
        assert all("not in the keyring" in problem for problem in broken.problems)
        assert report.unknown_keys == [key_id(KEY)]
    finally:
        for mf in (old, rotated, only_new):
            mf.engine.dispose()


def test_a_keyed_checkpoint_is_signed(db_url: str, clock: FakeClock) -> None:
    """A checkpoint taken with a key carries the MAC of its root; read with another key, it is refused."""
    mf = Mentorflow(db_url, clock=clock, key=KEY)
    try:
        _pair(mf)
        text = mf.checkpoint().model_dump_json()
    finally:
        mf.engine.dispose()
    assert parse(text, keys=Keyring([KEY])).mac == Keyring([KEY]).sign(json.loads(text)["root"])
    with pytest.raises(CheckpointInvalid, match="MAC that does not verify"):
        parse(text, keys=Keyring([NEW_KEY]))


@pytest.mark.parametrize("bad", ["short", "x" * 40 + ",", "é" * 40, "\t" * 40, ""])
def test_a_weak_or_malformed_key_is_refused(bad: str) -> None:
    """Keys are long printable ASCII without commas; the message never repeats the key."""
    with pytest.raises(InvalidInput) as caught:
        Keyring([bad] if bad else [])
    assert bad not in str(caught.value) or not bad


def test_the_environment_holds_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """`MENTORFLOW_KEY` is read when no key is given, several keys comma-separated; the repr hides them."""
    monkeypatch.setenv(ENV, f"{NEW_KEY}, {KEY}")
    keys = Keyring.of(None)
    assert keys is not None
    assert (keys.signing_id, keys.knows(key_id(KEY))) == (key_id(NEW_KEY), True)
    assert KEY not in repr(keys)
    assert NEW_KEY not in repr(keys)
    assert Keyring.of([]) is None
    monkeypatch.delenv(ENV)
    assert Keyring.of(None) is None


def test_verify_says_whether_the_log_is_keyed(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's verify ends with one line on the key: checked, keyed but unchecked, or unkeyed."""
    monkeypatch.delenv(ENV, raising=False)
    runner = CliRunner()
    mf = Mentorflow(database.url, key=[])
    try:
        _pair(mf)
    finally:
        mf.engine.dispose()
    unkeyed = runner.invoke(cli, ["--db", database.url, "verify"])
    assert "unkeyed log: an event forged with a correct hash would pass" in unkeyed.stdout
    keyed = runner.invoke(
        cli, ["--db", database.url, "--as", "ann", "sign", "pair", "idp", "--revision", "1"], env={ENV: KEY}
    )
    assert keyed.exit_code == 0, keyed.output
    checked = runner.invoke(cli, ["--db", database.url, "verify"], env={ENV: KEY})
    assert "keyed: every MAC checked; 3 events from before the key carry none" in checked.stdout
    unchecked = runner.invoke(cli, ["--db", database.url, "verify"])
    assert "keyed log, but no key given: MACs not checked" in unchecked.stdout


def test_verify_with_a_wrong_key_says_so_rather_than_to_restore(database: Database) -> None:
    """Every event signed with a key the given one is not: the hint names the key to give, not a backup."""
    mf = Mentorflow(database.url, key=KEY)
    try:
        _pair(mf)
    finally:
        mf.engine.dispose()
    result = CliRunner().invoke(cli, ["--db", database.url, "verify"], env={ENV: NEW_KEY})
    assert result.exit_code == 1
    assert f"hint: The log is signed with key {key_id(KEY)}, which MENTORFLOW_KEY does not hold" in result.stderr
    unkeyed = CliRunner().invoke(cli, ["--db", database.url, "verify"], env={ENV: ""})
    assert unkeyed.exit_code == 0
