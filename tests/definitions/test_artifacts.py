"""Artifact content against its kind: limits refuse before anything else, shape errors reject with every bad path,
missing values only make a draft."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from mentorflow.definitions import Kind, Registry
from mentorflow.definitions.content import MAX_BYTES, MAX_DEPTH, Checked, check_content
from mentorflow.definitions.parse import parse_document
from mentorflow.definitions.yamlsafe import load_text
from mentorflow.errors import ArtifactInvalid, ArtifactTooLarge, PathError
from tests.content import valid

SESSION_LOG = """\
mentorflow: 1
kind: session_log
title: Session log
fields:
  topic: {type: text, min_length: 3, max_length: 20}
  minutes: {type: int, min: 15, max: 240}
  rating: {type: number, min: 1, max: 7, required: false}
  follow_up: {type: bool}
  held_on: {type: date}
  starts_at: {type: datetime, required: false}
  mode: {type: choice, choices: [in_person, video, phone]}
  notes: {type: list, of: text, min_items: 1, max_items: 3}
  actions:
    type: list
    required: false
    of:
      what: {type: text}
      due: {type: date}
      owner: {type: choice, choices: [mentor, mentee], required: false}
  venue:
    type: object
    required: false
    fields:
      room: {type: text}
      floor: {type: int, required: false}
"""


def _kind() -> Kind:
    kind = parse_document(load_text(SESSION_LOG, "session_log.yaml"))
    assert isinstance(kind, Kind)
    return kind


KIND = _kind()

VALID: dict[str, Any] = {
    "topic": "grant plan",
    "minutes": 60,
    "follow_up": False,
    "held_on": "2026-09-01",
    "mode": "video",
    "notes": ["draft the specific aims"],
}

NOW = dt.datetime(2026, 9, 1, 14, 0, tzinfo=dt.UTC)

# field, value, path of the error, message
SHAPE_ERRORS: list[tuple[str, Any, str, str]] = [
    ("topic", 5, "topic", "expected text, got an integer"),
    ("topic", "ab", "topic", "text is shorter than 3 characters"),
    ("topic", "x" * 21, "topic", "text is longer than 20 characters"),
    ("minutes", True, "minutes", "expected an integer, got a boolean"),
    ("minutes", 60.0, "minutes", "expected an integer, got a number"),
    ("minutes", "60", "minutes", "expected an integer, got text"),
    ("minutes", 10, "minutes", "10 is outside 15..240"),
    ("minutes", 241, "minutes", "241 is outside 15..240"),
    ("rating", float("nan"), "rating", "expected a finite number, got nan"),
    ("rating", float("inf"), "rating", "expected a finite number, got inf"),
    ("rating", False, "rating", "expected a finite number, got a boolean"),
    ("rating", 7.5, "rating", "7.5 is outside 1..7"),
    ("follow_up", 1, "follow_up", "expected true or false, got an integer"),
    ("follow_up", "yes", "follow_up", "expected true or false, got text"),
    ("held_on", "2026-13-01", "held_on", "expected a date such as 2026-09-01, got '2026-13-01'"),
    ("held_on", NOW, "held_on", "expected a date such as 2026-09-01, got datetime.datetime("),
    ("held_on", 20260901, "held_on", "expected a date such as 2026-09-01, got 20260901"),
    ("starts_at", "tomorrow at two", "starts_at", "expected a date and time such as 2026-09-01T14:00:00Z"),
    ("starts_at", 1788271200, "starts_at", "expected a date and time such as 2026-09-01T14:00:00Z, got 1788271200"),
    ("mode", "zoom", "mode", "'zoom' is not one of: in_person, video, phone"),
    ("mode", ["video"], "mode", "['video'] is not one of: in_person, video, phone"),
    ("notes", "draft", "notes", "expected a list, got text"),
    ("notes", ["a", "b", "c", "d"], "notes", "has 4 items; at most 3 are allowed"),
    ("notes", ["fine", 2], "notes[1]", "expected text, got an integer"),
    ("actions", ["call the program officer"], "actions[0]", "expected a mapping, got text"),
    ("actions", [{"what": "call", "due": "2026-10-01", "when": "soon"}], "actions[0].when",
     "unknown field; known fields: what, due, owner"),
    ("actions", [{"what": "call", "due": "2026-10-01", "owner": "dean"}], "actions[0].owner",
     "'dean' is not one of: mentor, mentee"),
    ("venue", ["room 4"], "venue", "expected a mapping, got a list"),
    ("venue", {"room": 4}, "venue.room", "expected text, got an integer"),
    ("venue", {"room": "4.1", "floor": "fourth"}, "venue.floor", "expected an integer, got text"),
    ("agenda", "budget", "agenda", "unknown field; known fields: topic, minutes, rating, follow_up, held_on"),
]  # fmt: skip

# a change to the valid content, and the paths then missing (in the order they are reported)
INCOMPLETE: list[tuple[dict[str, Any], list[str]]] = [
    ({"held_on": None}, ["held_on"]),
    ({"topic": "   "}, ["topic"]),
    ({"notes": []}, ["notes"]),
    ({"notes": [None, "draft aims"]}, ["notes[0]"]),
    ({"notes": ["draft aims", " "]}, ["notes[1]"]),
    ({"actions": [{"what": "call"}]}, ["actions[0].due"]),
    ({"actions": [{"due": "2026-10-01"}, {"what": "", "due": None}]},
     ["actions[0].what", "actions[1].what", "actions[1].due"]),
    ({"venue": {}}, ["venue.room"]),
    ({"topic": None, "mode": "", "notes": []}, ["topic", "mode", "notes"]),
]  # fmt: skip

# a field, a value as submitted, and as stored
NORMALISED: list[tuple[str, Any, Any]] = [
    ("held_on", dt.date(2026, 9, 1), "2026-09-01"),
    ("held_on", "2026-09-01", "2026-09-01"),
    ("held_on", "20260901", "2026-09-01"),
    ("starts_at", NOW, "2026-09-01T14:00:00+00:00"),
    ("starts_at", "2026-09-01T14:00:00Z", "2026-09-01T14:00:00+00:00"),
    ("starts_at", "2026-09-01 14:00", "2026-09-01T14:00:00"),
    ("starts_at", dt.date(2026, 9, 1), "2026-09-01T00:00:00"),
    ("starts_at", "2026-09-01", "2026-09-01T00:00:00"),
    ("actions", [{"what": "call", "due": dt.date(2026, 10, 1)}], [{"what": "call", "due": "2026-10-01"}]),
    ("rating", 6, 6),
    ("rating", 6.5, 6.5),
]


def _check(**changes: Any) -> Checked:
    return check_content(KIND, VALID | changes)


def test_valid_content_is_complete_and_kept_as_given() -> None:
    """Content with every required field, all of the right shape, is complete and stored unchanged."""
    checked = check_content(KIND, VALID)
    assert checked.complete
    assert checked.missing == []
    assert checked.content == VALID


@pytest.mark.parametrize(
    ("field", "value", "path", "message"), SHAPE_ERRORS, ids=[f"{c[0]}-{i}" for i, c in enumerate(SHAPE_ERRORS)]
)
def test_value_of_the_wrong_shape_is_rejected_at_its_path(field: str, value: Any, path: str, message: str) -> None:
    """A value of the wrong type, outside its bounds or choices, or unknown, rejects the content at its path."""
    with pytest.raises(ArtifactInvalid, match=re.escape(f"{path}: {message}")) as info:
        _check(**{field: value})
    assert [error.path for error in info.value.errors] == [path]
    assert info.value.code == "artifact.invalid"


def test_every_bad_path_is_listed_at_once() -> None:
    """Several shape errors are all reported, in field order, with a count in the message."""
    content = VALID | {"topic": 1, "minutes": True, "notes": ["ok", None, 3], "venue": {"room": "b", "lift": 1}}
    with pytest.raises(ArtifactInvalid, match=r"^session_log content has 4 invalid values: topic: ") as info:
        check_content(KIND, content)
    assert [error.path for error in info.value.errors] == ["topic", "minutes", "notes[2]", "venue.lift"]


def test_one_bad_value_is_counted_in_the_singular() -> None:
    """The message counts a single invalid value without a plural."""
    with pytest.raises(ArtifactInvalid, match=r"^session_log content has 1 invalid value: mode: "):
        _check(mode="zoom")


@pytest.mark.parametrize("content", [[], "notes", None, 3], ids=["list", "text", "none", "int"])
def test_content_that_is_not_a_mapping_is_rejected_at_the_root(content: Any) -> None:
    """Content must be a mapping of fields; anything else is one error at the empty path."""
    with pytest.raises(
        ArtifactInvalid, match=r"^session_log content must be a mapping of fields: \(content\): "
    ) as info:
        check_content(KIND, content)
    assert [error.path for error in info.value.errors] == [""]


@pytest.mark.parametrize(("changes", "missing"), INCOMPLETE, ids=[str(i) for i in range(len(INCOMPLETE))])
def test_missing_values_make_a_draft_listing_each_path(changes: dict[str, Any], missing: list[str]) -> None:
    """Missing or blank required values, and unmet `min_items`, are accepted as incomplete with their paths."""
    checked = check_content(KIND, VALID | changes)
    assert checked.missing == missing
    assert not checked.complete


def test_empty_content_is_missing_every_required_field() -> None:
    """`{}` is a valid draft that is missing exactly the required top-level fields."""
    assert check_content(KIND, {}).missing == ["topic", "minutes", "follow_up", "held_on", "mode", "notes"]


def test_empty_list_items_keep_their_place_in_the_stored_list() -> None:
    """A blank item stays where it was, so that a missing path such as `notes[1]` indexes the stored list."""
    checked = _check(notes=["one", None, "three"])
    assert checked.content["notes"] == ["one", None, "three"]
    assert checked.missing == ["notes[1]"]


def test_optional_fields_may_be_left_out() -> None:
    """Fields with `required: false` are not missing when absent, and nested ones only inside their parent."""
    checked = _check(venue={"room": "4.1"}, actions=[{"what": "call", "due": "2026-10-01"}])
    assert checked.complete


@pytest.mark.parametrize(
    ("field", "value", "stored"), NORMALISED, ids=[f"{c[0]}-{i}" for i, c in enumerate(NORMALISED)]
)
def test_dates_and_times_are_stored_as_iso_text(field: str, value: Any, stored: Any) -> None:
    """Dates from YAML (`date` objects) and ISO strings are stored as the same ISO text."""
    assert _check(**{field: value}).content[field] == stored


@pytest.mark.parametrize(("field", "value"), [("minutes", True), ("rating", True), ("follow_up", 1), ("follow_up", 0)])
def test_booleans_and_numbers_do_not_stand_in_for_each_other(field: str, value: Any) -> None:
    """`True` is not the integer 1, and 1 is not `true`, although Python says they are equal."""
    with pytest.raises(ArtifactInvalid):
        _check(**{field: value})


def test_bounds_show_as_one_sided_when_only_one_is_given() -> None:
    """A field with only `min` or only `max` names that one bound."""
    kind = Kind.model_validate(
        {
            "mentorflow": 1,
            "kind": "hours",
            "title": "Hours",
            "fields": {"at_least": {"type": "number", "min": 0.5}, "at_most": {"type": "int", "max": 10}},
        }
    )
    with pytest.raises(ArtifactInvalid) as info:
        check_content(kind, {"at_least": 0.25, "at_most": 11})
    assert info.value.errors == [
        PathError("at_least", "0.25 is outside at least 0.5"),
        PathError("at_most", "11 is outside at most 10"),
    ]


def test_path_error_of_the_root_shows_as_content() -> None:
    """An error at the empty path reads `(content)` in messages."""
    assert str(PathError("", "expected a mapping")) == "(content): expected a mapping"


# -- limits, checked before the shape ----------------------------------------------------------------------------


def _nested(depth: int) -> dict[str, Any]:
    """A mapping ``depth`` levels deep, the outer mapping being the first."""
    content: dict[str, Any] = {}
    inner = content
    for _ in range(depth - 1):
        inner["x"] = {}
        inner = inner["x"]
    return content


@pytest.fixture(scope="module")
def idp(builtin_registry: Registry) -> Any:
    return builtin_registry.kinds()["idp"]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000, 200_000])
def test_content_nested_too_deep_is_too_large_before_its_shape(idp: Any, depth: int) -> None:
    """Deeper than the limit is `artifact.too_large`, however deep, without exhausting the stack."""
    with pytest.raises(ArtifactTooLarge, match=f"idp content is nested more than {MAX_DEPTH} levels deep"):
        check_content(idp, _nested(depth))


def test_content_at_the_depth_limit_reaches_the_shape_check(idp: Any) -> None:
    """Exactly the limit is allowed: it is refused for its shape, not its depth."""
    with pytest.raises(ArtifactInvalid):
        check_content(idp, _nested(MAX_DEPTH))


@pytest.mark.parametrize(
    "content",
    [
        {"long_term_goals": ["x" * (MAX_BYTES + 1)]},
        {"long_term_goals": ["x" * 50_000_000]},
        {"long_term_goals": ["é" * (MAX_BYTES // 2 + 1)]},
        {"hobby": list(range(300_000))},
        {f"k{n}": None for n in range(200_000)},
    ],
    ids=["one-byte-over", "50-MB", "two-byte-characters", "many-numbers", "many-keys"],
)
def test_content_over_a_mebibyte_is_too_large_before_its_shape(idp: Any, content: dict[str, Any]) -> None:
    """Over the limit as canonical JSON is `artifact.too_large`, even when its shape is wrong too."""
    with pytest.raises(ArtifactTooLarge, match=f"idp content is larger than {MAX_BYTES} bytes as JSON") as caught:
        check_content(idp, content)
    assert caught.value.code == "artifact.too_large"
    assert len(str(caught.value)) < 200


def test_content_just_under_the_limit_is_accepted(idp: Any) -> None:
    """Content whose canonical JSON is within the limit is checked and stored as usual."""
    content = valid("idp")
    content["long_term_goals"] = ["x" * (MAX_BYTES - 2000)]
    assert check_content(idp, content).complete


@pytest.mark.parametrize("number", [10**5000, 2**63, -(2**63) - 1], ids=["5000-digits", "2**63", "-2**63-1"])
def test_an_integer_that_does_not_fit_is_invalid(builtin_registry: Registry, number: int) -> None:
    """Integers must fit in 64 bits; beyond, the content is `artifact.invalid` at the number's path."""
    meeting = builtin_registry.kinds()["meeting"]
    with pytest.raises(ArtifactInvalid, match="duration_minutes: the number has too many digits to store") as caught:
        check_content(meeting, valid("meeting") | {"duration_minutes": number})
    assert [error.path for error in caught.value.errors] == ["duration_minutes"]


def test_the_largest_64_bit_integer_fits(builtin_registry: Registry) -> None:
    """2**63 - 1 reaches the field's own bounds, not the storage limit."""
    meeting = builtin_registry.kinds()["meeting"]
    with pytest.raises(ArtifactInvalid, match=f"duration_minutes: {2**63 - 1} is outside"):
        check_content(meeting, valid("meeting") | {"duration_minutes": 2**63 - 1})


@pytest.mark.parametrize(
    ("content", "path"),
    [
        ({"career_stage": "p" * 10_000}, "career_stage"),
        ({"x" * 10_000: 1}, "['xxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxx']"),
        ({"objectives": [{"target_date": "d" * 10_000}]}, "objectives[0].target_date"),
    ],
    ids=["choice", "unknown-key", "date"],
)
def test_a_refusal_never_echoes_the_content_it_refused(idp: Any, content: dict[str, Any], path: str) -> None:
    """Refused values and keys are quoted cut short, so that a message stays readable whatever was sent."""
    with pytest.raises(ArtifactInvalid) as caught:
        check_content(idp, content)
    assert path in [error.path for error in caught.value.errors]
    assert len(str(caught.value)) < 1_000


def test_text_with_unpaired_surrogates_is_invalid(idp: Any) -> None:
    """Text that cannot be encoded as UTF-8 is refused at its path instead of failing when stored."""
    with pytest.raises(ArtifactInvalid, match=r"long_term_goals\[0\]: text contains unpaired surrogate characters"):
        check_content(idp, {"long_term_goals": ["bad \ud800 text"]})
