"""A finished policy search in the app: its trials as a chart; a click runs that plan as B."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import solara

from sim.viz.language import DEFAULT_LANGUAGE, app_text
from sim.viz.session import Policy
from sim.viz.studies import Study, find_studies, load_study


@solara.component_vue("frontier.vue")
def _TrialsView(
    points: list,
    selected: int,
    title: str,
    xlabel: str,
    ylabel: str,
    trialWord: str,
    event_select: Callable[[int], None] | None = None,
):
    pass


def chart_points(study: Study) -> tuple[list[dict], bool]:
    """The study's points, and whether x is the trial number (when every trial costs the same,
    as in a search at a fixed cost) rather than the annual cost."""
    points = study.points()
    by_trial = len({p["x"] for p in points}) <= 1
    if by_trial:
        points = [p | {"x": p["trial"]} for p in points]
    return points, by_trial


@solara.component
def StudyPicker(
    *, like: Policy, on_policies: Callable[[Policy, Policy], None], lang: str = DEFAULT_LANGUAGE
) -> solara.Element:
    """Open a ``govsim optimise`` folder and click one of its trials: the base scenario runs as
    policy A and the trial's plan as policy B (at ``like``'s scale and seed)."""
    found = find_studies()
    folder, set_folder = solara.use_state(str(found[-1]) if found else "")
    selected, set_selected = solara.use_state(-1)

    def read() -> tuple[Study | None, str]:
        if not folder:
            return None, ""
        try:
            return load_study(Path(folder)), ""
        except (OSError, ValueError) as exc:
            return None, str(exc)

    study, problem = solara.use_memo(read, [folder])

    def pick(trial: int) -> None:
        if study is None:  # trials are shown only when a study is open
            return
        set_selected(trial)
        on_policies(*study.policies(int(trial), like=like))

    with solara.Card(title=app_text("search_title", lang), classes=["govsim-search"]) as card:
        solara.InputText(
            app_text("search_folder", lang),
            value=folder,
            on_value=set_folder,
            continuous_update=False,
        )
        if problem:
            solara.Error(problem)
        elif study is None:
            solara.Text(app_text("search_none", lang))
        else:
            points, by_trial = chart_points(study)
            _TrialsView(
                points=points,
                selected=selected,
                title=app_text("search_chart", lang),
                xlabel=app_text("search_trial_axis" if by_trial else "search_cost", lang),
                ylabel=app_text("search_legend", lang),
                trialWord=app_text("search_trial", lang),
                event_select=pick,
            )
            if selected >= 0:
                solara.Text(
                    app_text("search_running", lang, trial=selected, scenario=study.scenario)
                )
    return card
