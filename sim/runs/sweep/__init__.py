"""Sweeps: the sweep file and its designs (:mod:`.spec`), the runs written as they finish and
resumed (:mod:`.store`), and the statistics of a sweep folder (:mod:`.analysis`)."""
