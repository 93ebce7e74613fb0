"""Running the model many times.

Shared modules: scenario files (:mod:`.scenario`), the spec-file reader (:mod:`.specfile`),
the run primitive (:mod:`.runner`), the fan-out loop (:mod:`.fanout`), executors, replicates,
warm starts, tables by place (:mod:`.places`), comparisons, statistics and output folders.
One folder per kind of study: :mod:`.sweep`, :mod:`.calibrate`, :mod:`.optimise`.

Imports :mod:`sim.model`, never :mod:`sim.output` or the layers above (import-linter checks it).
"""
