"""The compiled machines: one per definition, firing on throwaway models."""

from __future__ import annotations

import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest

from mentorflow import Actor, UnknownTransition
from mentorflow.definitions import Registry
from mentorflow.engine.machine import compiled


def test_a_machine_is_compiled_once_per_bundle(builtin_registry: Registry) -> None:
    """Every relationship on one bundle shares one compiled machine."""
    bundle = builtin_registry.bundle("traditional-dyad")
    assert compiled(bundle) is compiled(bundle)


def test_a_machine_dies_with_its_bundle(builtin_registry: Registry) -> None:
    """The machine is kept on its bundle, not in a process-wide table: dropping the bundle frees it."""
    bundle = builtin_registry.bundle("traditional-dyad")
    machine = weakref.ref(compiled(bundle))
    del bundle
    assert machine() is None


def test_threads_never_see_a_half_built_machine(builtin_registry: Registry) -> None:
    """Threads compiling one bundle at once all get the same, complete machine."""
    bundle = builtin_registry.bundle("traditional-dyad")
    with ThreadPoolExecutor(max_workers=8) as pool:
        machines = list(pool.map(lambda _: compiled(bundle), range(32)))
    assert all(machine is machines[0] for machine in machines)
    assert machines[0].fire("preparing", "negotiate", allowed=True) == "negotiating"


@pytest.mark.parametrize(
    ("state", "trigger", "allowed", "expected"),
    [
        ("preparing", "negotiate", True, "negotiating"),
        ("preparing", "negotiate", False, "preparing"),
        ("negotiating", "withdraw", True, "withdrawn"),
    ],
)
def test_firing_moves_only_when_allowed(
    builtin_registry: Registry, state: str, trigger: str, allowed: bool, expected: str
) -> None:
    """The machine moves to the target state when the requirements allow, and stays put otherwise."""
    assert compiled(builtin_registry.bundle("traditional-dyad")).fire(state, trigger, allowed=allowed) == expected


def test_firing_an_unknown_trigger_is_refused(builtin_registry: Registry) -> None:
    """A trigger the machine does not have is `transition.unknown`, not a `transitions` error."""
    machine = compiled(builtin_registry.bundle("traditional-dyad"))
    with pytest.raises(UnknownTransition, match="trigger 'fly' does not fire from state 'preparing'"):
        machine.fire("preparing", "fly", allowed=True)
    with pytest.raises(UnknownTransition, match="trigger 'launch' does not fire from state 'preparing'"):
        machine.fire("preparing", "launch", allowed=True)


def test_an_actor_prints_as_the_log_writes_it() -> None:
    """People are their id, administrators `admin:ID`, the clock `system`."""
    assert [str(actor) for actor in (Actor.of("bob"), Actor.admin("carol"), Actor.system())] == [
        "bob",
        "admin:carol",
        "system",
    ]
