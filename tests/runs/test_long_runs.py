"""Long runs: a progress bar per stage with its own pace, and warm evaluations over several
years equal to cold ones (the registry of the residents copied, not rebuilt)."""

import math
from typing import ClassVar

import sim
from sim.model.agents import Resident
from sim.runs import runner, warm
from sim.runs.runner import RunSpec, execute, simulate, warm_model

MUZHOU = {"map.towns": ["Muzhou"], "population.scale": 0.1, "run.warmup_days": 40}


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(
        x == y or (math.isnan(x) and math.isnan(y))
        for x, y in zip(a.values(), b.values(), strict=True)
    )


class Bar:
    """Records what the run tells its progress bar: (description, total, days counted)."""

    stages: ClassVar[list[list]] = []

    def __init__(self, **kwargs) -> None:
        self.stages.append([kwargs["desc"], kwargs["total"], 0])

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def reset(self, *, total: int) -> None:
        self.stages.append([None, total, 0])

    def set_description(self, text: str) -> None:
        self.stages[-1][0] = text

    def update(self) -> None:
        self.stages[-1][2] += 1


def test_the_progress_bar_counts_the_warm_up_then_the_measured_days(monkeypatch):
    monkeypatch.setattr(runner, "tqdm", Bar)
    Bar.stages = []
    simulate(MUZHOU | {"run.warmup_days": 12}, days=30, seed=1, progress=True)
    # Each stage's bar ends at its own total, so its time left is from its own pace.
    assert Bar.stages == [
        ["building the district", 30, 0],
        ["warming up", 12, 12],
        ["simulating", 30, 30],
    ]


def test_a_warm_evaluation_of_several_years_equals_a_cold_one():
    spec = RunSpec(run_id=0, seed=3, days=800, params=MUZHOU, yearly=True, raise_errors=True)
    warm.forget()
    cold = execute(spec)
    sim.run(MUZHOU | {"mediation.trust_rooms": 2}, days=30, seed=8)  # leaves its residents
    with warm_model(MUZHOU, seed=4, days=1) as first:
        residents = first.residents
        registry = first.agents_by_type[Resident]
    again = execute(spec)
    assert warm.take(MUZHOU)[0] is residents[0]  # the district was built once
    assert same(again.metrics, cold.metrics)
    assert len(again.years) == len(cold.years) == 3  # 365, 365 and 70 days
    assert all(same(a, b) for a, b in zip(again.years, cold.years, strict=True))
    assert len(registry) == len(residents)


def test_a_warm_model_registers_its_residents_as_a_cold_one_does():
    warm.forget()
    with warm_model(MUZHOU, seed=1, days=1) as cold:
        cold_ids = [a.unique_id for a in cold.agents_by_type[Resident]]
        cold_all = [a.unique_id for a in cold.agents]
    with warm_model(MUZHOU, seed=1, days=1) as hot:
        assert [a.unique_id for a in hot.agents_by_type[Resident]] == cold_ids
        assert [a.unique_id for a in hot.agents] == cold_all
        assert all(a.model is hot for a in hot.agents_by_type[Resident])
        shuffled = [a.unique_id for a in hot.agents_by_type[Resident].shuffle()][:20]
    with warm_model(MUZHOU, seed=1, days=1) as again:  # the same shuffles from the same seed
        assert [a.unique_id for a in again.agents_by_type[Resident].shuffle()][:20] == shuffled
