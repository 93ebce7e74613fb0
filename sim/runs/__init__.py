"""Running the model many times: scenario files, replicates and comparisons, executors,
sweeps and their store, calibration, and the statistics of their results.

Imports :mod:`sim.model`, never :mod:`sim.output` or the layers above (import-linter checks it).
"""
