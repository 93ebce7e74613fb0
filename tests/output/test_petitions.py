"""Petitions by origin and subject: ``petitions.csv``, its agreement with the summary, the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.labels import label
from sim.model.disputes import DISPUTE_TYPES
from sim.output.report import write_report
from sim.output.results import write_results
from sim.runs.replicates import RunResult, run_replicates
from sim.runs.scenario import load_scenario

SMALL = {"population.scale": 0.05, "run.warmup_days": 120}


@pytest.fixture(scope="module")
def baseline() -> RunResult:
    """The whole district at 5% scale, 2 runs of 365 measured days (about 10 s)."""
    scenario = load_scenario("baseline").with_overrides(SMALL)
    return run_replicates(scenario, days=365, replicates=2, seed=4, workers=2)


def test_a_row_per_run_and_case_type_that_adds_up_to_the_summary(baseline):
    table = baseline.petitions
    assert len(table) == 2 * len(DISPUTE_TYPES)
    for run, rows in table.groupby("run"):
        summary = baseline.summary.set_index("run").loc[run]
        assert rows["petitions"].sum() > 0
        assert rows["petitions_per_10k"].sum() == pytest.approx(summary["petitions_per_10k"])
        claims = rows[rows["origin"] == "claim"]
        assert claims["share"].sum() == pytest.approx(summary["petition_claim_share"])
        assert rows["share"].sum() == pytest.approx(1.0)
        assert set(rows["subject"]) == {t.name for t in DISPUTE_TYPES}


def test_most_petitions_are_direct_claims_and_land_acquisition_leads_them(baseline):
    claims = baseline.petitions[baseline.petitions["origin"] == "claim"]
    by_subject = claims.groupby("subject")["petitions"].sum()
    assert by_subject.idxmax() == "land_acquisition"  # 26.8% of claims, and hard to settle
    assert by_subject.sum() > 0.75 * baseline.petitions["petitions"].sum()


def test_written_to_petitions_csv_and_shown_in_both_languages(baseline, tmp_path):
    written = write_results([baseline], tmp_path / "out")
    assert "petitions.csv" in written
    on_disk = pd.read_csv(tmp_path / "out" / "petitions.csv")
    assert np.allclose(on_disk["petitions_per_10k"], baseline.petitions["petitions_per_10k"])
    for lang in ("en", "zh"):
        write_report([baseline], tmp_path / f"{lang}.html", lang=lang)
        page = (tmp_path / f"{lang}.html").read_text(encoding="utf-8")
        assert label("term", "by_subject", lang) in page
        for t in DISPUTE_TYPES:
            assert label("subject", t.name, lang) in page
