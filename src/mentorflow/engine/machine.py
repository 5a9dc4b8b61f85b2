"""One ``transitions`` machine per definition, shared by every relationship that runs on it.

Building a ``Machine`` costs about a millisecond and tens of KiB, against microseconds for firing a trigger, so a
machine is compiled once per ``Bundle`` and kept on it (``bundle.derived``): it lives exactly as long as the
definition it serves. Each fire runs on a throwaway model object that holds only the snapshot's state. This
module is the only importer of ``transitions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transitions import Machine, MachineError

from mentorflow.definitions import Bundle
from mentorflow.definitions.models import Transition
from mentorflow.errors import UnknownTransition

__all__ = ["Compiled", "compiled"]


@dataclass
class _Model:
    """The throwaway carrier of one fire: the state it starts in, and whether its requirements allow it."""

    state: str
    allowed: bool


def _allowed(event: Any) -> bool:
    return bool(event.model.allowed)


class Compiled:
    """A definition compiled for firing: its machine and an index of transitions by (trigger, source)."""

    def __init__(self, bundle: Bundle) -> None:
        workflow = bundle.workflow
        # The workflow, not the bundle: the bundle holds this object, and no cycle should outlive it.
        self.workflow = workflow
        self.by_source: dict[str, dict[str, Transition]] = {name: {} for name in workflow.states}
        for transition in workflow.transitions:
            for source in workflow.sources(transition):
                self.by_source[source][transition.trigger] = transition
        self.machine = Machine(
            model=None,
            states=list(workflow.states),
            transitions=[
                {"trigger": t.trigger, "source": workflow.sources(t), "dest": t.to, "conditions": [_allowed]}
                for t in workflow.transitions
            ],
            initial=workflow.initial_state,
            auto_transitions=False,
            send_event=True,
        )

    def transitions_from(self, state: str) -> list[Transition]:
        return list(self.by_source.get(state, {}).values())

    def find(self, state: str, trigger: str) -> Transition:
        transition = self.by_source.get(state, {}).get(trigger) if isinstance(trigger, str) else None
        if transition is None:
            known = sorted(self.by_source.get(state, {}))
            exists = isinstance(trigger, str) and any(trigger in triggers for triggers in self.by_source.values())
            why = (
                f"trigger {trigger!r} does not fire from state {state!r}"
                if exists
                else f"workflow {self.workflow.workflow!r} has no trigger {trigger!r}"
            )
            hint = (
                f"From {state!r} these triggers fire: {', '.join(known)}."
                if known
                else f"State {state!r} is final: nothing fires from it."
            )
            raise UnknownTransition(why, hint=hint)
        return transition

    def fire(self, state: str, trigger: str, *, allowed: bool) -> str:
        """Run the trigger through the machine from ``state``; the new state, or ``state`` if not allowed."""
        model = _Model(state, allowed)
        try:
            self.machine.events[trigger].trigger(model)
        except (MachineError, KeyError) as exc:
            raise UnknownTransition(f"trigger {trigger!r} does not fire from state {state!r}") from exc
        return model.state


def compiled(bundle: Bundle) -> Compiled:
    """The compiled machine of a bundle, built on first use and kept on the bundle."""
    return bundle.derived(Compiled)
