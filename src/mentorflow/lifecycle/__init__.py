"""Data that can leave and be forgotten (DESIGN §16): archives out of one database and into another, and erasure.

Kept apart from the facade so that ``service`` stays a list of thin methods: ``archive`` writes the JSON Lines
format, ``loading`` reads it back after proving every chain, ``erasure`` blanks a person's content while keeping
the log verifiable. The SQL they need lives in ``store.archive``, the store being the one importer of SQLAlchemy.
"""

from __future__ import annotations

from mentorflow.lifecycle.archive import FORMAT, ArchiveCounts, export
from mentorflow.lifecycle.erasure import Erasure, erase
from mentorflow.lifecycle.loading import load

__all__ = ["FORMAT", "ArchiveCounts", "Erasure", "erase", "export", "load"]
