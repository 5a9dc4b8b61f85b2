"""Broken definitions: every defect is refused with a stable code, at the offending line and column, by name.

Each file in ``broken/`` holds one defect in an otherwise valid file (its first line says which); the table below
is what an author sees for it. ``broken/several/`` holds files with several defects, reported together.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mentorflow.definitions import Registry, validate_paths, yamlsafe
from mentorflow.definitions.parse import parse_document
from mentorflow.definitions.yamlsafe import MAX_BYTES, load_text, read_file
from mentorflow.errors import DefinitionError

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
SEVERAL = BROKEN / "several"
VALID = HERE / "valid"

# file, code, line, column, the message (it names the offenders)
CASES = [
    ("added_by_not_a_list.yaml", "definition.invalid_value", 8, 30,
     "roles.newcomer.added_by: takes a list, such as [a, b] (got 'buddy')"),
    ("added_by_unknown_role.yaml", "definition.unknown_role", 8, 41, "unknown role 'budy'"),
    ("alias_bomb.yaml", "definition.too_complex", 5, 47,
     "the document expands to more than 50000 values (aliases included)"),
    ("ambiguous_trigger.yaml", "definition.ambiguous_trigger", 37, 5,
     "trigger 'finish' is defined twice from state 'settling' (transitions 1 and 2)"),
    ("boolean_yes.yaml", "definition.invalid_value", 12, 61,
     "artifacts.checkin.repeatable: takes true or false: write `true`, not 'yes', which YAML 1.2 reads as text"),
    ("complete_by_on_plain_slot.yaml", "definition.requires_repeatable", 36, 10,
     "`complete ... by` needs a repeatable slot, but 'plan' holds a single document"),
    ("count_on_plain_slot.yaml", "definition.requires_repeatable", 36, 10,
     "`count` needs a repeatable slot, but 'plan' holds a single document"),
    ("dead_end.yaml", "definition.dead_end", 23, 3, "non-final state 'paused' has no outgoing transition"),
    ("duplicate_key.yaml", "definition.duplicate_key", 23, 3, "duplicate key 'settling' (first defined at line 19)"),
    ("final_has_exit.yaml", "definition.final_has_exit", 38, 5,
     "final state 'done' has an outgoing transition 'reopen'"),
    ("invalid_name.yaml", "definition.invalid_name", 26, 5,
     "transitions[0].trigger: 'Start' is not a valid name"),
    ("kind_choices_on_text.yaml", "definition.invalid_value", 8, 3,
     "fields.overall: choices does not apply to type text"),
    ("kind_list_without_of.yaml", "definition.invalid_value", 6, 3, "fields.papers: type list needs `of`"),
    ("kind_required_no.yaml", "definition.invalid_value", 9, 26,
     "fields.comments.required: takes true or false: write `false`, not 'no', which YAML 1.2 reads as text"),
    ("kind_unknown_key_suggested.yaml", "definition.unknown_key", 9, 43,
     "unknown key 'max_lenght' in fields.comments (did you mean 'max_length'?)"),
    ("max_items_on_plain_slot.yaml", "definition.invalid_value", 11, 3,
     "artifacts.plan: max_items applies to repeatable slots only"),
    ("missing_title.yaml", "definition.missing_key", 2, 1, "missing required key 'title' in the document"),
    ("misspelt_requirement.yaml", "definition.unknown_requirement", 31, 9,
     ("transitions[0].requires[0]: a requirement needs one of the keys: complete, signed, count, current, "
      "in_state_days, all, any, not, check; unknown key 'complet' (did you mean 'complete'?)")),
    ("no_initial_state.yaml", "definition.initial_state", 13, 1,
     "a workflow needs exactly one initial state; found none"),
    ("not_a_definition.yaml", "definition.not_a_definition", 2, 1,
     "the document is neither a workflow nor an artifact kind"),
    ("obligation_both_timings.yaml", "definition.invalid_value", 18, 9,
     "states.planning.obligations[0]: an obligation needs exactly one of within_days or every_days"),
    ("outcome_not_final.yaml", "definition.outcome_not_final", 21, 5,
     "state 'settling' has an outcome but is not final"),
    ("role_not_a_mapping.yaml", "definition.invalid_value", 7, 3,
     "roles.buddy: takes a mapping, such as {key: value} (got 1)"),
    ("signed_without_signers.yaml", "definition.no_signers", 38, 9,
     "`signed: summary` but slot 'summary' has no signed_by roles"),
    ("syntax_error.yaml", "definition.syntax", 30, 13,
     ("invalid YAML: while parsing a flow sequence that starts at line 29, column 9, "
      "expected ',' or ']', but got ':'")),
    ("two_initial_states.yaml", "definition.initial_state", 19, 3,
     "a workflow needs exactly one initial state; found 'planning', 'settling'"),
    ("unknown_key_nested.yaml", "definition.unknown_key", 17, 5, "unknown key 'deadline_days' in states.planning"),
    ("unknown_key_suggested.yaml", "definition.unknown_key", 23, 40,
     "unknown key 'outcom' in states.done (did you mean 'outcome'?)"),
    ("unknown_key_top.yaml", "definition.unknown_key", 6, 1, "unknown key 'owner' in the document"),
    ("unknown_kind.yaml", "definition.unknown_kind", 12, 13,
     "slot 'checkin' uses unknown artifact kind 'checkin_note'"),
    ("unknown_phase.yaml", "definition.unknown_phase", 23, 10, "state 'done' names unknown phase 'wrap_up'"),
    ("unknown_requirement.yaml", "definition.unknown_requirement", 31, 9,
     ("transitions[0].requires[0]: a requirement needs one of the keys: complete, signed, count, current, "
      "in_state_days, all, any, not, check; unknown key 'approved' (did you mean 'signed'?)")),
    ("unknown_role.yaml", "definition.unknown_role", 29, 17, "unknown role 'mentee'"),
    ("unknown_slot.yaml", "definition.unknown_slot", 31, 9, "unknown artifact slot 'agreement'"),
    ("unknown_state.yaml", "definition.unknown_state", 34, 5, "unknown state 'finished'"),
    ("unknown_workflow.yaml", "definition.unknown_workflow", 41, 7,
     "transition 'extend' starts unknown workflow 'long-term-dyad'"),
    ("unreachable_state.yaml", "definition.unreachable_state", 23, 3,
     "state 'on_hold' cannot be reached from the initial state 'planning'"),
    ("wrong_type.yaml", "definition.invalid_value", 4, 1,
     "version: takes a whole number (got 'two')"),
]  # fmt: skip

VALID_TEXT = (VALID / "lab-onboarding.yaml").read_text()

LEAVE = "    reason: required"
STARTS = LEAVE + "\n    starts: {workflow: traditional-dyad, "

# Defects made by one edit of valid/lab-onboarding.yaml, for the codes a single-defect file cannot show alone
# or for locations worth pinning: (old, new), code, line, column, message.
EDITS = [
    (("  done: {phase: conclude, final: true", "  done: {phase: conclude, final: true, initial: true"),
     "definition.final_initial", 34, 3, "state 'done' is both initial and final"),
    (("      - {complete: plan, within_days: 14}", "      - {within_days: 14, complete: agenda}"),
     "definition.unknown_slot", 29, 27, "unknown artifact slot 'agenda'"),
    (("    submitted_by: [buddy, newcomer]", "    submitted_by: [buddy, supervisor]"),
     "definition.unknown_role", 17, 27, "unknown role 'supervisor'"),
    (("      - signed: plan", "      - {signed: plan, by: [advisor]}"),
     "definition.unknown_role", 42, 29, "unknown role 'advisor'"),
    (("      - signed: review", "      - all: [{any: [{not: {current: notes, max_age_days: 7}}]}]"),
     "definition.unknown_slot", 48, 29, "unknown artifact slot 'notes'"),
    ((LEAVE, STARTS + "roles: {coach: buddy}}"),
     "definition.unknown_role", 53, 50, "workflow 'traditional-dyad' has no role 'coach'"),
    (("phases: [prepare, settle, conclude]", "phases: [prepare, settle, conclude, settle]"),
     "definition.duplicate_name", 9, 37, "phases lists 'settle' twice"),
    (("    submitted_by: [buddy, newcomer]", "    submitted_by: [buddy, newcomer, buddy]"),
     "definition.duplicate_name", 17, 37, "submitted_by lists 'buddy' twice"),
    ((LEAVE, STARTS + "roles: {mentor: buddy}}"),
     "definition.unfilled_role", 53, 42,
     ("transition 'leave' starts workflow 'traditional-dyad', whose role 'mentee' needs at least 1, but `roles` "
      "gives it nobody")),
    ((LEAVE, STARTS + "roles: {mentor: boss}}"),
     "definition.unknown_role", 53, 50, "unknown role 'boss'"),
    ((LEAVE, STARTS + "roles: {}, carry: [checkin]}"),
     "definition.unknown_slot", 53, 61, "workflow 'traditional-dyad' has no slot 'checkin' of kind 'checkin'"),
    ((LEAVE, STARTS + "version: 9, roles: {}}"),
     "definition.unknown_workflow", 53, 42,
     "transition 'leave' starts workflow 'traditional-dyad' version 9, which is not defined"),
    ((LEAVE, STARTS + "roles: {}, carry: [notes]}"),
     "definition.unknown_slot", 53, 61, "unknown artifact slot 'notes'"),
    (("    from: settling\n    to: done", "    from: [settling, settling]\n    to: done"),
     "definition.ambiguous_trigger", 44, 5, "trigger 'finish' lists state 'settling' twice in `from`"),
    (("    from: settling\n    to: done", "    from: [settling, nowhere]\n    to: done"),
     "definition.unknown_state", 44, 22, "unknown state 'nowhere'"),
    (("    from: settling\n    to: done", "    from: 3\n    to: done"),
     "definition.invalid_value", 44, 5,
     "transitions[1].from: takes text, '*' or a list (got 3)"),
    (("    from: settling\n    to: done", "    from: []\n    to: done"),
     "definition.invalid_value", 44, 5,
     "transitions[1].from: takes text, '*' or a list of at least 1 item"),
    (("    from: settling\n    to: done", "    from: [settling, Done]\n    to: done"),
     "definition.invalid_name", 44, 22, "transitions[1].from[1]: 'Done' is not a valid name"),
    (("  settling:\n", "  Settling:\n"),
     "definition.invalid_name", 30, 3, "states.Settling: 'Settling' is not a valid name"),
    (("  settling:\n", "  2:\n"), "definition.invalid_value", 30, 3, "states: the key 2 is not a name"),
    # keys no validator names as written: each is found at its line, and said as YAML writes it
    (("  settling:\n", "  ~:\n"), "definition.invalid_value", 30, 3, "states: the key null is not a name"),
    (("  settling:\n", "  1.5:\n"), "definition.invalid_value", 30, 3, "states: the key 1.5 is not a name"),
    (("  settling:\n", "  2026-01-01:\n"), "definition.invalid_value", 30, 3,
     "states: the key 2026-01-01 is not a name"),
    (("  settling:\n", "  true:\n"), "definition.invalid_value", 30, 3, "states: the key true is not a name"),
    (("workflow: lab-onboarding", "workflow: Lab_Onboarding"),
     "definition.invalid_name", 2, 1, "workflow: 'Lab_Onboarding' is not a valid workflow id"),
    (("  buddy: {min: 1, max: 1}", "  buddy: {min: 2, max: 1}"),
     "definition.invalid_value", 7, 3, "roles.buddy: max (1) is below min (2)"),
    (("      - {count: checkin, min: 3}", "      - {count: checkin, min: 3, since: forever}"),
     "definition.invalid_value", 47, 34, "transitions[1].requires[0].since: takes 'state' or 'start' (got 'forever')"),
    (("      - {count: checkin, min: 1, every_days: 14}", "      - {approved: checkin, every_days: 14}"),
     "definition.unknown_requirement", 33, 9,
     "states.settling.obligations[0]: an obligation needs one of the keys complete, signed, count, current"),
    (("      - {count: checkin, min: 1, every_days: 14}", "      - {count: checkin, every_days: 14, note: weekly}"),
     "definition.unknown_key", 33, 42,
     "unknown key 'note' in states.settling.obligations[0]"),
    (("      - signed: plan", "      - approvd: plan"),
     "definition.unknown_requirement", 42, 9,
     ("transitions[0].requires[0]: a requirement needs one of the keys: complete, signed, count, current, "
      "in_state_days, all, any, not, check; unknown key 'approvd' (did you mean 'signed'?)")),
    (("      - {count: checkin, min: 3}", "      - {count: checkin, min: 3, sinse: start}"),
     "definition.unknown_key", 47, 34, "unknown key 'sinse' in transitions[1].requires[0] (did you mean 'since'?)"),
    (("    initial: true", "    initial: on"),
     "definition.invalid_value", 27, 5,
     "states.planning.initial: takes true or false: write `true`, not 'on', which YAML 1.2 reads as text"),
    (("  done: {phase: conclude, final: true", "  done: {phase: conclude, final: off"),
     "definition.invalid_value", 34, 27,
     "states.done.final: takes true or false: write `false`, not 'off', which YAML 1.2 reads as text"),
    (("    repeatable: true", "    repeatable: 1"),
     "definition.invalid_value", 18, 5, "artifacts.checkin.repeatable: takes true or false (got 1)"),
    (("  newcomer: {min: 1, max: 1}", "  newcomer: {min: 1, max: 1, added_by: [buddy, Boss]}"),
     "definition.invalid_name", 8, 48, "roles.newcomer.added_by[1]: 'Boss' is not a valid name"),
    (("  newcomer: {min: 1, max: 1}", "  newcomer: {min: 1, max: 1, added_by: [buddy, mentor]}"),
     "definition.unknown_role", 8, 48, "unknown role 'mentor'"),
]  # fmt: skip


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry()


@pytest.fixture(scope="module")
def extra_registry() -> Registry:
    return Registry([VALID])


def test_every_broken_file_is_in_the_table() -> None:
    """A file added to ``broken/`` without an expected problem fails here rather than going untested."""
    assert sorted(path.name for path in BROKEN.glob("*.yaml")) == [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "code", "line", "column", "message"), CASES, ids=[case[0] for case in CASES])
def test_broken_file_is_refused_at_its_defect(
    registry: Registry, name: str, code: str, line: int, column: int, message: str
) -> None:
    """Loading the file raises one problem: its code, at the defect's line and column, naming the offenders."""
    path = BROKEN / name
    with pytest.raises(DefinitionError, match=re.escape(f"{path}:{line}:{column}: {code}: {message}")) as info:
        registry.load_file(path)
    assert [(problem.code, problem.line, problem.column) for problem in info.value.problems] == [(code, line, column)]
    assert info.value.code == code
    assert info.value.hint


def test_validating_the_broken_directory_reports_each_file_once() -> None:
    """`validate_paths` over every broken file reports exactly the table, one problem per file."""
    problems = validate_paths(sorted(BROKEN.glob("*.yaml")))
    found = sorted((Path(problem.file).name, problem.code, problem.line, problem.column) for problem in problems)
    assert found == [case[:4] for case in CASES]


@pytest.mark.parametrize(
    ("edit", "code", "line", "column", "message"), EDITS, ids=[f"{case[1]}-{index}" for index, case in enumerate(EDITS)]
)
def test_edited_workflow_reports_the_defect_at_its_location(
    extra_registry: Registry,
    tmp_path: Path,
    edit: tuple[str, str],
    code: str,
    line: int,
    column: int,
    message: str,
) -> None:
    """One edit of a valid workflow yields a problem with the expected code, location and message."""
    old, new = edit
    assert VALID_TEXT.count(old) == 1
    path = tmp_path / "lab-onboarding.yaml"
    path.write_text(VALID_TEXT.replace(old, new))
    with pytest.raises(DefinitionError) as info:
        extra_registry.load_file(path)
    matching = [problem for problem in info.value.problems if problem.code == code and message in problem.message]
    assert [(problem.line, problem.column) for problem in matching] == [(line, column)]


def test_structural_defects_are_reported_together() -> None:
    """A missing key, a wrongly typed value and an unknown key in one file come back in one error."""
    with pytest.raises(DefinitionError, match=r"structure\.yaml:2:1: .*\(and 2 more problems\)") as info:
        parse_document(read_file(SEVERAL / "structure.yaml"))
    assert [(problem.code, problem.line, problem.column) for problem in info.value.problems] == [
        ("definition.missing_key", 2, 1),
        ("definition.invalid_value", 7, 21),
        ("definition.unknown_key", 11, 5),
    ]


def test_reference_defects_are_reported_together(registry: Registry) -> None:
    """An unknown phase, slot, role and state in one workflow are all reported, in file order."""
    with pytest.raises(DefinitionError, match=r"references\.yaml:14:15: .*\(and 3 more problems\)") as info:
        registry.load_file(SEVERAL / "references.yaml")
    assert [(problem.code, problem.line, problem.column, problem.message) for problem in info.value.problems] == [
        ("definition.unknown_phase", 14, 15, "state 'defending' names unknown phase 'review'"),
        ("definition.unknown_slot", 22, 9, "unknown artifact slot 'thesis_proposal'"),
        ("definition.unknown_role", 26, 10, "unknown role 'committee'"),
        ("definition.unknown_state", 29, 5, "unknown state 'revising'"),
    ]


def test_the_size_limit_is_one_mebibyte() -> None:
    """The limit DESIGN.md §3.4 sets: files over 1 MiB are refused."""
    assert MAX_BYTES == 1024 * 1024


def test_a_file_over_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    """A file one byte over 1 MiB is refused with `definition.too_large` at 1:1, giving its size."""
    path = tmp_path / "padded.yaml"
    path.write_text(VALID_TEXT + "#" * (MAX_BYTES - len(VALID_TEXT)) + "\n")
    assert path.stat().st_size == MAX_BYTES + 1
    with pytest.raises(DefinitionError, match=r"padded\.yaml:1:1: definition\.too_large: the file is 1048577 bytes"):
        read_file(path)


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)], ids=["at-the-limit", "one-byte-over"])
def test_the_limit_is_inclusive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: int, refused: bool) -> None:
    """A file of exactly the limit loads; one byte more is refused (checked on a small limit, to stay fast)."""
    limit = len(VALID_TEXT.encode()) + 10
    monkeypatch.setattr(yamlsafe, "MAX_BYTES", limit)
    path = tmp_path / "padded.yaml"
    path.write_text(VALID_TEXT + "#" * (9 + extra) + "\n")
    if refused:
        with pytest.raises(DefinitionError, match=rf"definition\.too_large: the file is {limit + 1} bytes"):
            read_file(path)
    else:
        assert read_file(path).value["workflow"] == "lab-onboarding"


def test_text_over_one_mebibyte_is_refused() -> None:
    """`load_text` applies the same limit to text that never was a file, counting UTF-8 bytes."""
    text = "description: " + "é" * (MAX_BYTES // 2)
    with pytest.raises(DefinitionError, match=r"definition\.too_large: the document is larger than 1048576 bytes"):
        load_text(text, "pasted.yaml")


def test_a_file_that_is_not_utf8_is_refused_at_the_first_bad_byte(tmp_path: Path) -> None:
    """A Latin-1 file is refused with `definition.encoding`, located at the undecodable character."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID_TEXT.replace("Lab onboarding", "Accueil au labo à Paris").encode("latin-1"))
    with pytest.raises(
        DefinitionError, match=r"latin1\.yaml:4:24: definition\.encoding: the file is not UTF-8 \(byte 73: 0xe0\)"
    ):
        read_file(path)


@pytest.mark.parametrize("name", ["missing.yaml", "."], ids=["missing", "directory"])
def test_an_unreadable_path_is_refused(tmp_path: Path, name: str) -> None:
    """A path that does not exist, or is a directory, is refused with `definition.unreadable`."""
    with pytest.raises(DefinitionError, match=r"definition\.unreadable: cannot read the file: "):
        read_file(tmp_path / name)
