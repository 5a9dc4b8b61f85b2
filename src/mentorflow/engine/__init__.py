"""The engine: compiled machines, snapshots, requirement evaluation and the rules of every write.

It is the only importer of ``transitions`` and imports no SQLAlchemy: it decides, the store persists.
"""

from mentorflow.engine.requirements import GuardContext, GuardFunction

__all__ = ["GuardContext", "GuardFunction"]
