"""The administrator's reads: where relationships stand, program figures, the offline report, tamper checks.

Every answer here is computed from snapshots with the same evaluation the engine uses to guard transitions, so
what an administrator is told blocks a pair is exactly what would refuse its fire. The modules, from the row up:

- ``standing``: one relationship's ``Status`` and its audit row (``Standing``), and the audit's filters;
- ``cache``: the standing cache's body, written on refresh and decoded into rows by an audit;
- ``summary``: program figures (counts, the phase funnel, days per phase) from gathered tallies;
- ``reads``: the reads over many relationships, cache first and evaluation for the rest;
- ``report``: the self-contained HTML report;
- ``verify``: replaying each relationship's log against its pinned definition;
- ``visibility``: reads that take an actor, and what of one relationship its reader may see;
- ``documents``: documents read back, their revisions, and what changed between two (``show``, ``diff``);
- ``people``: one person across relationships, with their to-do list and network (``person``).
"""
