"""What people read: tables, the results folder, ``report.html``, figures and charts.

Imports :mod:`sim.model` and :mod:`sim.runs`, never :mod:`sim.viz` or :mod:`sim.cli`.
"""
