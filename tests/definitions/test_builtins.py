"""The built-in workflows and artifact kinds: each loads and validates, and keeps the names DESIGN.md §4 fixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mentorflow.definitions import Kind, Registry, Workflow, builtin_dir, validate_paths
from mentorflow.definitions.content import check_content
from mentorflow.definitions.parse import parse_document
from mentorflow.definitions.yamlsafe import read_file

WORKFLOW_FILES = sorted(builtin_dir().glob("*.yaml"))
KIND_FILES = sorted((builtin_dir() / "kinds").glob("*.yaml"))

# workflow, roles with (min, max), states in order, final states, trigger names in order
TABLE: list[tuple[str, dict[str, tuple[int, int | None]], list[str], set[str], list[str]]] = [
    (
        "traditional-dyad",
        {"mentor": (1, 1), "mentee": (1, 1)},
        ["preparing", "negotiating", "early_meetings", "later_meetings", "concluding", "completed", "withdrawn"],
        {"completed", "withdrawn"},
        ["negotiate", "launch", "deepen", "conclude", "complete", "withdraw"],
    ),
    (
        "informal-peer",
        {"peer": (2, 8)},
        ["forming", "meeting", "closed", "dissolved"],
        {"closed", "dissolved"},
        ["convene", "close", "dissolve"],
    ),
    (
        "facilitated-peer",
        {"facilitator": (1, 2), "member": (3, 12)},
        ["recruiting", "launched", "in_session", "evaluating", "concluded", "cancelled"],
        {"concluded", "cancelled"},
        ["launch", "begin", "wrap_up", "conclude", "cancel"],
    ),
    (
        "group",
        {"mentor": (2, 5), "mentee": (3, 20)},
        ["forming", "chartered", "active", "concluding", "completed", "disbanded"],
        {"completed", "disbanded"},
        ["charter", "activate", "conclude", "complete", "disband"],
    ),
    (
        "micro-mentoring",
        {"mentor": (1, 1), "mentee": (1, 1)},
        ["requested", "scheduled", "met", "closed", "converted", "declined", "expired"],
        {"closed", "converted", "declined", "expired"},
        ["schedule", "hold", "close", "convert", "decline", "expire"],
    ),
]

KINDS = [
    "agreement",
    "consent",
    "curriculum",
    "evaluation",
    "idp",
    "meeting",
    "micro_brief",
    "network_map",
    "progress_report",
    "reflection",
]

# the triggers §4 says fire from any state and need a reason
ANY_STATE_WITH_REASON = [
    ("traditional-dyad", "withdraw"),
    ("informal-peer", "dissolve"),
    ("facilitated-peer", "cancel"),
    ("group", "disband"),
]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry()


def _workflow(registry: Registry, workflow_id: str) -> Workflow:
    definition = registry.get(workflow_id).definition
    assert isinstance(definition, Workflow)
    return definition


def test_every_builtin_named_in_the_design_ships() -> None:
    """The workflows and kinds directories hold exactly the built-ins of §4, so no parametrized test runs empty."""
    assert sorted(path.stem for path in WORKFLOW_FILES) == sorted(row[0] for row in TABLE)
    assert [path.stem for path in KIND_FILES] == KINDS


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_builtin_workflow_file_parses_as_the_workflow_it_is_named_after(path: Path) -> None:
    """Each built-in workflow file loads with the safe loader and parses as a workflow whose id is its name."""
    definition = parse_document(read_file(path))
    assert isinstance(definition, Workflow)
    assert definition.workflow == path.stem


@pytest.mark.parametrize("path", KIND_FILES, ids=lambda p: p.name)
def test_builtin_kind_file_parses_as_the_kind_it_is_named_after(path: Path) -> None:
    """Each built-in kind file loads with the safe loader and parses as an artifact kind named after the file."""
    definition = parse_document(read_file(path))
    assert isinstance(definition, Kind)
    assert definition.kind == path.stem


@pytest.mark.parametrize("path", [*WORKFLOW_FILES, *KIND_FILES], ids=lambda p: p.name)
def test_builtin_file_passes_validation(path: Path) -> None:
    """`validate_paths` finds no problem in each built-in file, references included."""
    assert validate_paths([path]) == []


@pytest.mark.parametrize(("workflow_id", "roles", "states", "finals", "triggers"), TABLE, ids=[row[0] for row in TABLE])
def test_builtin_workflow_keeps_the_names_of_the_design(
    registry: Registry,
    workflow_id: str,
    roles: dict[str, tuple[int, int | None]],
    states: list[str],
    finals: set[str],
    triggers: list[str],
) -> None:
    """Roles and cardinalities, states in order (initial first), final states and triggers match §4."""
    workflow = _workflow(registry, workflow_id)
    assert {name: (role.min, role.max) for name, role in workflow.roles.items()} == roles
    assert list(workflow.states) == states
    assert workflow.initial_state == states[0]
    assert {name for name, state in workflow.states.items() if state.final} == finals
    assert list(dict.fromkeys(transition.trigger for transition in workflow.transitions)) == triggers


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_final_state_has_an_outcome(path: Path) -> None:
    """Audits tell success from an early end, so each final state of a built-in says which it is."""
    definition = parse_document(read_file(path))
    assert isinstance(definition, Workflow)
    without = [name for name, state in definition.states.items() if state.final and state.outcome is None]
    assert without == []


@pytest.mark.parametrize(("workflow_id", "trigger"), ANY_STATE_WITH_REASON, ids=[t for _, t in ANY_STATE_WITH_REASON])
def test_ending_early_fires_from_any_state_with_a_reason(registry: Registry, workflow_id: str, trigger: str) -> None:
    """The trigger that ends a relationship early fires from every non-final state and needs a reason."""
    (transition,) = [t for t in _workflow(registry, workflow_id).transitions if t.trigger == trigger]
    assert transition.from_ == "*"
    assert transition.reason == "required"


def test_micro_mentoring_declines_from_requested_by_the_mentor_with_a_reason(registry: Registry) -> None:
    """`decline` leaves `requested` only, is the mentor's to fire, and needs a reason."""
    (decline,) = [t for t in _workflow(registry, "micro-mentoring").transitions if t.trigger == "decline"]
    assert (decline.from_, decline.by, decline.reason) == ("requested", ["mentor"], "required")


def test_micro_mentoring_expires_on_the_clock_after_thirty_days(registry: Registry) -> None:
    """`expire` is timed: it leaves `requested` or `scheduled` after 30 days."""
    (expire,) = [t for t in _workflow(registry, "micro-mentoring").transitions if t.trigger == "expire"]
    assert (expire.from_, expire.after_days) == (["requested", "scheduled"], 30)


def test_micro_mentoring_converts_into_a_traditional_dyad_carrying_the_idp(registry: Registry) -> None:
    """`convert` starts a `traditional-dyad` with the same people and carries the IDP slot into it."""
    workflow = _workflow(registry, "micro-mentoring")
    (convert,) = [t for t in workflow.transitions if t.trigger == "convert"]
    assert convert.starts is not None
    assert convert.starts.workflow == "traditional-dyad"
    assert [workflow.artifacts[slot].kind for slot in convert.starts.carry] == ["idp"]


def test_micro_mentoring_keeps_at_most_two_meetings(registry: Registry) -> None:
    """The slot that `hold` counts is repeatable and capped at two items."""
    workflow = _workflow(registry, "micro-mentoring")
    (hold,) = [t for t in workflow.transitions if t.trigger == "hold"]
    counted = {getattr(requirement, "count", None) for requirement in hold.requires} - {None}
    assert [
        (workflow.artifacts[str(slot)].repeatable, workflow.artifacts[str(slot)].max_items) for slot in counted
    ] == [(True, 2)]


@pytest.mark.parametrize("path", KIND_FILES, ids=lambda p: p.name)
def test_empty_content_of_a_builtin_kind_is_a_draft_missing_every_required_field(path: Path) -> None:
    """Submitting `{}` for any built-in kind is stored as incomplete, listing each required top-level field."""
    kind = parse_document(read_file(path))
    assert isinstance(kind, Kind)
    checked = check_content(kind, {})
    assert checked.missing == [name for name, spec in kind.fields.items() if spec.required]
    assert not checked.complete


# who may add people to each role, besides administrators (docs/workflows/ says why for each workflow)
ADDED_BY = [
    ("traditional-dyad", {"mentor": [], "mentee": []}),
    ("informal-peer", {"peer": ["peer"]}),
    ("facilitated-peer", {"facilitator": [], "member": ["facilitator"]}),
    ("group", {"mentor": [], "mentee": ["mentor"]}),
    ("micro-mentoring", {"mentor": [], "mentee": []}),
]


@pytest.mark.parametrize(("workflow_id", "added_by"), ADDED_BY, ids=[row[0] for row in ADDED_BY])
def test_builtin_roles_say_who_adds_people(
    registry: Registry, workflow_id: str, added_by: dict[str, list[str]]
) -> None:
    """Facilitators add members, group mentors add mentees, peers add peers; a matched pair is the program's."""
    assert {name: role.added_by for name, role in _workflow(registry, workflow_id).roles.items()} == added_by


@pytest.mark.parametrize(("workflow_id", "added_by"), ADDED_BY, ids=[row[0] for row in ADDED_BY])
def test_builtin_pages_document_who_adds_people(workflow_id: str, added_by: dict[str, list[str]]) -> None:
    """Each workflow's page lists, in its roles table, who may add people to each role."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "workflows" / f"{workflow_id}.md").read_text()
    for role, roles in added_by.items():
        adders = ", ".join(roles) + (", administrators" if roles else "administrators only")
        assert any(line.startswith(f"| `{role}` |") and line.endswith(f"| {adders} |") for line in page.splitlines())
