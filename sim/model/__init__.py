"""The simulation itself: the district, its people and the escalation ladder, one day at a time.

The lowest layer: it imports nothing of :mod:`sim.runs`, :mod:`sim.output`,
:mod:`sim.viz` or :mod:`sim.cli` (import-linter checks it).
"""
