"""Calibration: the calibration file and its loss (:mod:`.spec`), and the search that fits the
free parameters to the targets (:mod:`.search`)."""
