"""Links between relationships, checked at both ends once every relationship has been seen.

A transition with ``starts:`` records a ``started_linked`` event naming the relationship it started, whose own
start names where it came from (``linked_from``). Deleting either end, or editing one, leaves the other pointing at
nothing: each relationship's chain is intact on its own, so only a check across relationships sees it.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from mentorflow.store.records import RelationshipRecords

__all__ = ["Links"]


class Links:
    """The links each relationship's log claims, gathered one relationship at a time."""

    def __init__(self) -> None:
        self.started: dict[str, set[str]] = {}  # source -> the relationships its log says it started
        self.came_from: dict[str, str] = {}  # started -> the source its start names

    def add(self, records: RelationshipRecords) -> None:
        for event in records.events:
            if event.kind == "started_linked":
                self.started.setdefault(records.row.id, set()).add(orjson.loads(event.payload)["relationship"])
            elif event.kind == "started" and event.seq == 1:
                source = orjson.loads(event.payload).get("linked_from")
                if source is not None:
                    self.came_from[records.row.id] = source["relationship"]

    def problems(self) -> Iterator[tuple[str, str]]:
        """(relationship, problem) for each link whose other end is missing or does not point back."""
        for source, targets in sorted(self.started.items()):
            for target in sorted(targets):
                if self.came_from.get(target) != source:
                    yield source, f"it started {target!r}, which is missing or does not name it as its origin"
        for target, source in sorted(self.came_from.items()):
            if target not in self.started.get(source, set()):
                yield target, f"it names {source!r} as its origin, which is missing or does not record starting it"
