"""The lever list of ``tools/levers.toml``: every lever of the article is there, applies in towns of the
district table, and switching it changes what a run does (an unchanged pair would show a lever inert by
construction)."""

import pytest

from sim.model.metrics import METRICS
from tools.lever_table import METRICS as TABLE_METRICS
from tools.lever_table import read_levers, towns_with

LEVERS = read_levers()


def test_every_lever_of_the_article_is_listed_once():
    names = [lever.name for lever in LEVERS]
    assert len(names) == len(set(names))
    assert set(names) == {"grid_workers", "trust_rooms", "yi_police", "village_offices",
                          "three_tuning", "petition_supermarket", "rainstorm_response"}  # fmt: skip


def test_a_lever_applies_where_the_schema_places_its_programme():
    from sim.model import district

    for column in ("yi_police", "village_police"):
        assert towns_with(column) == district.towns_with(column) != []
    assert towns_with("trust_room_villages")  # a count of villages, not a 0/1 flag


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lever: lever.name)
@pytest.mark.parametrize("place", ["town", "district"])
def test_switching_a_lever_changes_the_run(lever, place):
    base, switched = lever.pair(place)
    assert base.params["map.towns"] == (lever.towns if place == "town" else "all")
    assert switched.params["map.towns"] == base.params["map.towns"]
    assert base.params != switched.params or base.timeline != switched.timeline
    assert lever.channel in TABLE_METRICS and set(TABLE_METRICS) <= set(METRICS)
