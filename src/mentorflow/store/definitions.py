"""The stored definitions: each workflow version a relationship runs on, kept once by its content hash.

A ``Bundles`` belongs to one ``Mentorflow`` instance and dies with it. It remembers the definitions it has parsed,
which is safe because a definition is content-addressed: a hash names one body for ever.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import insert, select

from mentorflow.definitions import Bundle, Loaded
from mentorflow.errors import CorruptDefinition, DefinitionProblem, MissingDefinition, VersionConflict
from mentorflow.store.db import Executor, to_db
from mentorflow.store.tables import Definition

__all__ = ["Bundles", "definitions"]


class Bundles:
    """The definitions one ``Mentorflow`` instance has read or registered, by hash."""

    def __init__(self) -> None:
        self._known: dict[str, Bundle] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._known)

    def get(self, session: Executor, definition_hash: str) -> Bundle:
        """A stored definition, read and parsed the first time it is asked for."""
        found = self._known.get(definition_hash)
        if found is None:
            body = session.scalar(select(Definition.body).where(Definition.hash == definition_hash))
            if body is None:
                raise MissingDefinition(
                    f"no stored definition {definition_hash[:12]}",
                    hint="Run `mentorflow verify`; the database may have been edited by hand.",
                )
            found = Bundle.from_json(body)
            if found.hash != definition_hash:
                raise CorruptDefinition(
                    f"the stored definition {definition_hash[:12]} does not match its hash: it was edited",
                    hint="Nothing runs on it. Run `mentorflow verify`, and restore the definitions from a backup.",
                )
            with self._lock:
                found = self._known.setdefault(definition_hash, found)
        return found

    def register(self, session: Executor, bundle: Bundle, source: Loaded, now: dt.datetime) -> None:
        """Store a bundle once; a different bundle under the same (id, version) is a version conflict.

        ``source`` is the file the bundle's workflow was read from, so that the conflict points at its `version:`.
        """
        workflow_id, version = bundle.key
        stored = session.scalar(
            select(Definition.hash).where(Definition.workflow == workflow_id, Definition.version == version)
        )
        if stored == bundle.hash:
            return
        if stored is not None:
            raise VersionConflict(
                [
                    DefinitionProblem(
                        "definition.version_conflict",
                        f"workflow {workflow_id!r} version {version} is already registered with different content "
                        f"(stored {stored[:12]}, now {bundle.hash[:12]})",
                        source.file,
                        *source.doc.where(("version",)),
                        f"Relationships already run on version {version}; "
                        f"bump `version:` in {source.file} to register the change.",
                    )
                ]
            )
        session.execute(
            insert(Definition).values(
                hash=bundle.hash,
                workflow=workflow_id,
                version=version,
                title=bundle.workflow.title,
                body=bundle.body,
                created_at=to_db(now),
            )
        )
        with self._lock:
            self._known.setdefault(bundle.hash, bundle)


def definitions(session: Executor) -> list[tuple[str, int, str, str]]:
    """(workflow, version, title, hash) of every registered definition."""
    rows = session.execute(select(Definition.workflow, Definition.version, Definition.title, Definition.hash))
    return [(row[0], row[1], row[2], row[3]) for row in rows]
