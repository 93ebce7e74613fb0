"""The parameter schema: every model parameter with its default, unit, bounds, doc and source.

This is the only place defaults live. Scenario files, ``--set`` overrides,
sweeps, the app's controls and ``sim.run(params)`` all name parameters by
their dotted ``section.key`` and are checked here. Sources are cited beside
each figure; ``[assumption]`` marks a value nobody has measured, ``[calibrated]`` one
fitted to the published figures by ``govsim calibrate`` (docs/calibration/).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any

from sim.model.checks import (
    ASSUMPTION,
    PLACE_LIST,
    TOWN_AMOUNTS,
    TOWN_COUNTS,
    TOWN_LIST,
    Parameter,
    ParameterError,
    shown,
)
from sim.model.district import towns_with

__all__ = [  # the checks' names are the schema's too: import them from here
    "ARTICLE",
    "ASSUMPTION",
    "CALIBRATED",
    "PARAMETERS",
    "PLACE_LIST",
    "SCHEMA",
    "SECTIONS",
    "TOWN_AMOUNTS",
    "TOWN_COUNTS",
    "TOWN_LIST",
    "Parameter",
    "ParameterError",
    "defaults",
    "flatten",
    "resolve",
    "unknown_key_error",
]

ARTICLE = "news report, Jiangmen Daily, 2022-06-30"
CALIBRATED = "[calibrated] scenarios/calibration/baseline.toml"  # fit in docs/calibration/
# fitted to the published effects of one village one police (docs/calibration/village_police/)
CALIBRATED_ROLLOUTS = "[calibrated] scenarios/calibration/village_police.toml"


def _p(key, default, unit, doc, low=None, high=None, *, choices=None, source=ASSUMPTION, kind=""):
    return Parameter(key, default, unit, doc, low, high, choices, source, kind)


PARAMETERS: tuple[Parameter, ...] = (
    # --- run
    _p(
        "run.warmup_days",
        365,
        "days",
        "days simulated before anything is counted, so short and long runs measure the same steady district",
        0,
        3650,
        source="design: the district starts with no open disputes; the warm-up fills it",
    ),
    # --- population
    _p(
        "population.scale",
        1.0,
        "fraction",
        "fraction of residents simulated as agents",
        0.0001,
        1.0,
        source="design: rates are per resident, so results do not depend on the scale",
    ),
    _p(
        "population.household_size",
        2.8,
        "persons",
        "mean household size",
        1.0,
        10.0,
        source="[assumption] near the 2020 census figure for Guangdong",
    ),
    _p("population.trust_mean", 0.6, "0-1", "mean initial trust in local mediation", 0.0, 1.0),
    _p("population.trust_sd", 0.15, "0-1", "spread of initial trust between residents", 0.0, 0.5),
    _p(
        "population.trust_memory_days",
        365.0,
        "days",
        "how long an experience moves trust: changes fade towards each resident's own trust with this time constant",
        1.0,
        36500.0,
        source="[assumption] keeps trust, and so the baseline, from drifting for ever",
    ),
    _p("population.risk_aversion_mean", 0.5, "0-1", "mean risk aversion (Epstein's R)", 0.0, 1.0),
    # --- map
    _p(
        "map.towns",
        "all",
        "towns",
        'towns simulated ("all" or a list, e.g. ["Muzhou"])',
        kind=TOWN_LIST,
        source="design section 5",
    ),
    _p(
        "map.file",
        "",
        "path",
        "GeoJSON grid map to use instead of the shipped one",
        source="design section 5",
    ),
    _p(
        "map.risk_sd",
        0.3,
        "log-sd",
        "spread of dispute risk between villages (lognormal)",
        0.0,
        2.0,
    ),
    # --- disputes
    _p(
        "disputes.rate_per_1k",
        11.71,
        "per 1,000 residents per year",
        "disputes arising (grievances that become claims)",
        0.0,
        500.0,
        source=f"{CALIBRATED}: national 6-11 mediated per 1,000 a year, plus those never mediated",
    ),
    _p(
        "disputes.group_share",
        0.03,
        "share",
        "share of group disputes (wage arrears, land acquisition)",
        0.0,
        1.0,
    ),
    _p(
        "disputes.group_size_mean",
        20,
        "parties",
        "mean number of parties of a group dispute",
        3,
        1000,
        source="[assumption] the article's wage-arrears case had 42 workers",
    ),
    _p("disputes.initial_intensity", 0.25, "0-1", "mean intensity of a new dispute", 0.0, 1.0),
    _p(
        "disputes.drift_per_day",
        0.004,
        "per day",
        "mean daily rise in intensity of an undetected dispute",
        0.0,
        0.2,
    ),
    _p("disputes.shock_sd", 0.02, "per day", "daily random shock to intensity", 0.0, 0.5),
    _p(
        "disputes.fade_per_day",
        0.004,
        "per day",
        "daily chance an undetected dispute fades by itself",
        0.0,
        1.0,
    ),
    _p(
        "disputes.flare_per_day",
        0.002,
        "per day",
        "daily chance a dormant dispute flares up again",
        0.0,
        1.0,
    ),
    _p(
        "disputes.lapse_per_day",
        0.01,
        "per day",
        "daily chance a dormant dispute is over for good (it will not flare up again)",
        0.0,
        1.0,
    ),
    _p(
        "disputes.land_difficulty",
        2.778,
        "logit",
        "extra difficulty of land and housing disputes",
        0.0,
        10.0,
        source=f"{CALIBRATED}: 2022 county report, land disputes fail about 8x as often",
    ),
    _p("disputes.group_difficulty", 1.0, "logit", "extra difficulty of group disputes", 0.0, 10.0),
    # --- direct claims (against employers, the government or services)
    _p(
        "claims.rate_per_10k",
        76.77,
        "per 10,000 residents per year",
        "direct claims arising (wage arrears, land acquisition, social security, housing, services)",
        0.0,
        2000.0,
        source=f"{CALIBRATED}: 20-45 petitions per 10,000 a year (national and county figures)",
    ),
    _p(
        "claims.group_share",
        0.3,
        "share",
        "share of claims made by a group (e.g. workers owed wages)",
        0.0,
        1.0,
        source="[assumption] the article's example: 42 workers' unpaid wages",
    ),
    _p("claims.initial_intensity", 0.35, "0-1", "mean intensity of a new claim", 0.0, 1.0),
    _p(
        "claims.filing_per_day",
        0.1,
        "per day",
        "daily chance a claimant files the claim (hotline, walk-in, online)",
        0.0,
        1.0,
    ),
    _p(
        "claims.to_district_share",
        0.2014,
        "share",
        "share of filed claims that go straight to the district petition supermarket (walk-ins, online)",
        0.0,
        1.0,
        source=f"{CALIBRATED}: petitions per 10,000 and their share of direct claims",
    ),
    _p(
        "claims.difficulty",
        0.6645,
        "logit",
        "extra difficulty of settling a claim, over a dispute's",
        -5.0,
        10.0,
        source=f"{CALIBRATED}: 91% one-time resolution; petitions per 10,000",
    ),
    # --- detection
    _p(
        "detection.self_report_per_day",
        0.02,
        "per day",
        "daily chance a party reports (scaled by trust and intensity)",
        0.0,
        1.0,
    ),
    _p(
        "detection.visit_detect_prob",
        0.6,
        "probability",
        "chance a grid worker's visit to a party's household uncovers the dispute",
        0.0,
        1.0,
    ),
    _p(
        "detection.patrol_detect_prob",
        0.1,
        "probability",
        "chance a Yi Police patrol passing a party's household uncovers the dispute",
        0.0,
        1.0,
    ),
    _p(
        "detection.households_per_patrol_hour",
        4.0,
        "households",
        "households passed per patrol hour",
        0.0,
        1000.0,
    ),
    _p(
        "detection.red_intensity",
        0.75,
        "0-1",
        "command-centre triage: at or above this intensity a case goes straight to police (L3)",
        0.0,
        1.0,
        source="design: red / orange / yellow triage",
    ),
    _p(
        "detection.report_to_village_share",
        0.9966,
        "share",
        "share of the disputes a party reports itself (not found by staff) that go first to the "
        "village mediation committee or its trust room (L2) instead of the grid worker (L1)",
        0.0,
        1.0,
        source=f"{CALIBRATED}: formal mediation per 1,000 (Guangdong 2020); People's Mediation "
        "Law 2010, art. 17 (a party applies to a people's mediation committee); article: "
        "villagers bring disputes to the trust rooms",
    ),
    # --- grid workers
    _p(
        "grid_workers.total",
        1000,
        "persons",
        "grid workers in the whole district",
        0,
        50000,
        source=f"{ARTICLE}: more than 1,000 grid workers in 640 grids",
    ),
    _p(
        "grid_workers.allocation",
        "population",
        "rule",
        "how grid workers are allocated to grids",
        choices=("equal", "population", "risk"),
        source="design section 3",
    ),
    _p(
        "grid_workers.by_town",
        {},
        "persons",
        "grid workers of these towns (the others keep what total and allocation give them)",
        0,
        50000,
        kind=TOWN_COUNTS,
        source="design section 5: place-based levers",
    ),
    _p(
        "grid_workers.add",
        {},
        "persons",
        "change in these towns' grid workers (negative: fewer)",
        -50000,
        50000,
        kind=TOWN_COUNTS,
        source="design section 5: place-based levers",
    ),
    _p(
        "grid_workers.visits_per_day",
        20.0,
        "visits",
        "household visits per grid worker per day",
        0.0,
        200.0,
        source="design [assumption] ~20 visits a day",
    ),
    _p(
        "grid_workers.visit_cycle_days",
        10.0,
        "days",
        "target interval between visits to a household",
        1.0,
        365.0,
    ),
    _p("grid_workers.skill", 0.5, "0-1", "mediation skill (training) of grid workers", 0.0, 1.0),
    _p(
        "grid_workers.session_visits",
        4.0,
        "visits",
        "time of one on-the-spot mediation, in visits",
        0.0,
        50.0,
    ),
    # --- volunteer police
    _p(
        "volunteer_police.total",
        800,
        "persons",
        "Yi Police volunteers",
        0,
        200000,
        source=f"{ARTICLE}: Muzhou has more than 800 in more than 50 teams",
    ),
    _p(
        "volunteer_police.towns",
        towns_with("yi_police"),
        "towns",
        "towns with Yi Police teams",
        kind=TOWN_LIST,
        source=f"{ARTICLE}: Muzhou's teams (district-wide from May 2022)",
    ),
    _p(
        "volunteer_police.by_town",
        {},
        "persons",
        "Yi Police of these towns (formed into teams; the others keep what total and towns give them)",
        0,
        200000,
        kind=TOWN_COUNTS,
        source="design section 5: place-based levers",
    ),
    _p(
        "volunteer_police.add",
        {},
        "persons",
        "change in these towns' Yi Police (negative: fewer)",
        -200000,
        200000,
        kind=TOWN_COUNTS,
        source="design section 5: place-based levers",
    ),
    _p(
        "volunteer_police.team_size",
        16,
        "persons",
        "volunteers per team",
        1,
        500,
        source=f"{ARTICLE}: >800 volunteers in >50 teams",
    ),
    _p(
        "volunteer_police.areas_per_town",
        3,
        "areas",
        "patrol areas per town",
        1,
        50,
        source=f"{ARTICLE}: Muzhou's upper, lower and Yellowstone areas",
    ),
    _p(
        "volunteer_police.patrol_hours_per_week",
        4.0,
        "hours",
        "patrol hours per volunteer per week",
        0.0,
        60.0,
    ),
    _p(
        "volunteer_police.strategy",
        "random",
        "rule",
        "where volunteers patrol",
        choices=("random", "hotspot", "follow_up"),
        source="design section 3",
    ),
    _p(
        "volunteer_police.assist_bonus",
        0.3,
        "logit",
        "mediation bonus in a grid where Yi Police patrolled that day",
        0.0,
        5.0,
    ),
    _p(
        "volunteer_police.emergency_damage_relief",
        0.05,
        "per volunteer per 1,000 residents",
        "storm damage disputes fall by exp(-relief * Yi Police on emergency duty per 1,000 residents)",
        0.0,
        5.0,
        source="[assumption] Yi Police pump water, cordon and direct traffic in a rainstorm (article)",
    ),
    # --- police
    _p(
        "police.officers_per_town",
        8,
        "officers",
        "community police officers per town station",
        0,
        500,
    ),
    _p(
        "police.village_offices",
        towns_with("village_police"),
        "towns or villages",
        "one-village-one-police offices: in every village of the towns listed, and in the villages listed",
        kind=TOWN_LIST,
        source=f"{ARTICLE}: 'one village one police'",
    ),
    _p(
        "police.hours_per_day",
        4.0,
        "hours",
        "hours per officer per day for dispute work",
        0.0,
        24.0,
    ),
    _p(
        "police.session_hours",
        3.0,
        "hours",
        "length of a police (L3) mediation, excluding travel",
        0.1,
        24.0,
    ),
    _p(
        "police.deterrence_k",
        2.3,
        "1",
        "k in P = ceiling * x / (1 + x), x = k * guardians / parties (P is half the ceiling at x = 1; the exponential form: P = ceiling * (1 - exp(-x)))",
        0.0,
        20.0,
        source="Epstein (2002) civil violence model",
    ),
    _p(
        "police.max_arrest_prob",
        0.35,
        "probability",
        "asymptote of the perceived arrest probability, approached (never reached) as guardians are added",
        0.0,
        1.0,
        source="[assumption] published effects of patrols elsewhere are -5% to -70%, never -100%",
    ),
    _p(
        "police.deterrence_form",
        "saturating",
        "rule",
        "how guardians deter: saturating (diminishing, never zero returns) or exponential (Epstein)",
        choices=("saturating", "exponential"),
        source="Koper (1995) and Braga et al. (2019) hot-spot policing: more presence deters "
        "with diminishing returns; Cohen and Felson (1979) guardianship; the form [assumption]",
    ),
    _p(
        "police.village_detect_per_day",
        0.003304,
        "per day",
        "chance a village officer hears of a latent dispute or claim in the village, each day",
        0.0,
        1.0,
        source=f"{CALIBRATED_ROLLOUTS} (Zhenluo 2020 disputes -20.6%, Henan 2016, Nanjing 2017); "
        "an officer living among the villagers hears early (article)",
    ),
    _p(
        "police.village_sessions_per_day",
        1.122,
        "sessions",
        "police mediations per village office per day, with the village committee (L2)",
        0.0,
        20.0,
        source=f"{CALIBRATED} (not identified: one town); the police part of three-tuning at "
        "village level (article)",
    ),
    _p(
        "police.village_red_share",
        0.02551,
        "share",
        "share of red (urgent) disputes in a village with an office that its officer mediates with the village committee (L2) instead of sending them to the town (L3)",
        0.0,
        1.0,
        source=f"{CALIBRATED_ROLLOUTS} (Nanjing 2017 dispute-to-crime -14%, Zhenluo 2020, Henan "
        "2016); the officer mediates on the spot with the village committee instead of at the "
        "town (article)",
    ),
    _p(
        "police.village_mediation_bonus",
        0.3,
        "logit",
        "village (L2) mediation success bonus where the village officer sits with the committee",
        0.0,
        5.0,
        source="[assumption] Nanjing 2017 police-mediation link: dispute-to-crime cases -14%",
    ),
    _p(
        "police.village_response_hours",
        0.1,
        "hours",
        "travel of a village officer to the village's grids, each way (the station's: road and ferry)",
        0.0,
        24.0,
        source="[assumption] answers in minutes, not after a ferry (article)",
    ),
    _p(
        "police.village_officer_guardians",
        1.0,
        "guardians",
        "guardians a village officer adds, spread over the village's grids",
        0.0,
        10.0,
        source="[assumption] guardianship (Cohen and Felson 1979)",
    ),
    # --- mediation
    _p(
        "mediation.trust_rooms",
        15,
        "villages",
        "villages with a villagers' trust room",
        0,
        1000,
        source=f"{ARTICLE}: trust rooms in 15 Muzhou villages",
    ),
    _p(
        "mediation.trust_room_villages",
        [],
        "villages",
        "villages given a trust room first (names or NBS codes); the rule chooses the rest",
        kind=PLACE_LIST,
        source="design section 5: place-based levers",
    ),
    _p(
        "mediation.trust_room_rule",
        "published",
        "rule",
        "which villages get the other trust rooms: as published (Muzhou's 15), the largest, those with the "
        "most disputes expected, or only the listed ones",
        choices=("published", "largest", "most_disputes", "listed"),
        source=f"{ARTICLE}: trust rooms in 15 Muzhou villages (which ones is not published)",
    ),
    _p(
        "mediation.three_tuning",
        "sequential",
        "rule",
        "L1-L3 mediators one after another, or sitting together",
        choices=("sequential", "joint"),
        source=f"{ARTICLE}: Muzhou's 'three-tuning'",
    ),
    _p(
        "mediation.town_centre_hours_by_town",
        {},
        "hours",
        "hours of these towns' comprehensive-governance centres for mediation per day (the others: town_centre_hours_per_day)",
        0.0,
        500.0,
        kind=TOWN_AMOUNTS,
        source="design section 5: place-based levers",
    ),
    _p(
        "mediation.village_sessions_per_day",
        1.0,
        "sessions",
        "mediations per village committee per day",
        0.0,
        50.0,
    ),
    _p(
        "mediation.town_centre_hours_per_day",
        16.0,
        "hours",
        "hours of the town comprehensive-governance centre for mediation per day",
        0.0,
        500.0,
    ),
    _p("mediation.village_skill", 0.6, "0-1", "skill of village mediation committees", 0.0, 1.0),
    _p("mediation.town_skill", 0.7, "0-1", "skill of police and town-centre mediators", 0.0, 1.0),
    _p(
        "mediation.base_grid",
        4.347,
        "logit",
        "success intercept at L1 (grid)",
        -10.0,
        10.0,
        source=f"{CALIBRATED}: 95-97% of mediations succeed (national figures)",
    ),
    _p(
        "mediation.base_village",
        5.084,
        "logit",
        "success intercept at L2 (village)",
        -10.0,
        10.0,
        source=f"{CALIBRATED}: 95-97% of mediations succeed (national figures); formal "
        "mediation success 97.8% (Guangdong 2020)",
    ),
    _p(
        "mediation.base_town",
        1.276,
        "logit",
        "success intercept at L3 (police, town centre)",
        -10.0,
        10.0,
        source=f"{CALIBRATED}: 95-97% of mediations succeed; >90% settled at the grassroots",
    ),
    _p(
        "mediation.base_petition",
        1.598,
        "logit",
        "success intercept at L4 (district petition)",
        -10.0,
        10.0,
        source=f"{CALIBRATED}: 91% one-time resolution at the petition supermarket (news report)",
    ),
    _p(
        "mediation.skill_effect", 1.5, "logit", "success gain per unit of mediator skill", 0.0, 10.0
    ),
    _p(
        "mediation.trust_effect",
        2.0,
        "logit",
        "success gain per unit of the parties' trust",
        0.0,
        10.0,
    ),
    _p("mediation.intensity_effect", 4.0, "logit", "success loss per unit of intensity", 0.0, 20.0),
    _p("mediation.wait_effect", 1.0, "logit", "success loss per 30 days waited", 0.0, 10.0),
    _p(
        "mediation.trust_room_bonus",
        0.8,
        "logit",
        "village mediation bonus with a trust room",
        0.0,
        5.0,
    ),
    _p(
        "mediation.trust_room_report_factor",
        1.5,
        "x",
        "self-report multiplier with a trust room",
        1.0,
        10.0,
    ),
    _p("mediation.joint_bonus", 0.6, "logit", "bonus when L1-L3 mediators sit together", 0.0, 5.0),
    _p(
        "mediation.handoff_days",
        3.0,
        "days",
        "days to convene the next level after a failure when mediators sit one after another",
        0.0,
        60.0,
    ),
    _p(
        "mediation.patience_days",
        30.0,
        "days",
        "days a party waits in a queue before moving up",
        1.0,
        365.0,
    ),
    _p(
        "mediation.wait_drift_per_day",
        0.003,
        "per day",
        "daily rise in intensity while waiting",
        0.0,
        0.2,
    ),
    # --- staffing plan
    _p(
        "staffing.plan",
        "",
        "path",
        "a staffing plan CSV (one row per village-level unit, as govsim plan writes it): its staff replace "
        "those the grid_workers, volunteer_police, trust-room and village-office settings give (a scenario "
        "it extends keeps no such setting in force; one set beside it or later is refused)",
        source="design section 5: govsim plan SCENARIO --out plan.csv",
    ),
    # --- space: where the map's adjacency acts
    _p(
        "space.tension_per_incident",
        0.3,
        "x arrivals",
        "tension an incident adds in its grid: new disputes arrive (1 + tension) times as often",
        0.0,
        10.0,
        source="[assumption] the local contagion of Epstein (2002)",
    ),
    _p(
        "space.tension_spread",
        0.5,
        "share",
        "share of an incident's tension added in each adjacent grid",
        0.0,
        1.0,
    ),
    _p(
        "space.max_tension",
        1.0,
        "x arrivals",
        "most tension a grid can hold (arrivals at most 1 + this times as often)",
        0.0,
        100.0,
        source="[assumption] keeps incidents breeding incidents from running away",
    ),
    _p("space.tension_days", 14.0, "days", "mean life of tension after an incident", 0.1, 365.0),
    _p(
        "space.tension_heat_per_day",
        0.01,
        "per day per unit of tension",
        "daily rise in intensity of the open disputes in a tense grid",
        0.0,
        1.0,
    ),
    _p(
        "space.mutual_aid_share",
        0.2,
        "share",
        "share of their visits grid workers lend to adjacent grids whose own workers are all away",
        0.0,
        1.0,
    ),
    # --- petition
    _p(
        "petition.supermarket",
        True,
        "on/off",
        "one-stop petition supermarket at the district",
        source=ARTICLE,
    ),
    _p("petition.counters", 10, "counters", "petition counters at the district", 0, 200),
    _p("petition.sessions_per_counter", 2.0, "sessions", "cases per counter per day", 0.0, 50.0),
    _p("petition.skill", 0.7, "0-1", "skill of petition staff", 0.0, 1.0),
    _p(
        "petition.supermarket_bonus",
        2.5,
        "logit",
        "success bonus of the one-stop centre (departments, mediation, legal advice, litigation)",
        0.0,
        10.0,
    ),
    _p(
        "petition.deadline_days",
        60,
        "days",
        "days from acceptance (reaching L4) within which a petition must be concluded",
        1,
        3650,
        source="Regulations on Letters and Visits 2005, art. 33; Regulations on Letters and "
        "Visits Work 2022: 60 days",
    ),
    _p(
        "petition.extension_days",
        30,
        "days",
        "longest extension of the deadline for a complex petition (on time: within both)",
        0,
        3650,
        source="Regulations on Letters and Visits 2005, art. 33; 2022 regulations: at most 30 days",
    ),
    _p(
        "petition.persistence",
        0.1863,
        "probability",
        "chance a petitioner whose district case fails goes beyond the district (L5)",
        0.0,
        1.0,
        source=f"{CALIBRATED}: about 1% of mediated disputes go on to court (national figures)",
    ),
    # --- behaviour
    _p(
        "behaviour.act_out_threshold",
        0.7,
        "1",
        "T in the acting-out rule",
        0.0,
        5.0,
        source=f"{CALIBRATED}: 5-20 incidents per 100,000 a year (scan at full scale)",
    ),
    _p(
        "behaviour.act_out_spread",
        0.05,
        "1",
        "how gradual the acting-out rule is: the daily chance is logistic((grievance - T) / spread) * (1 - R*P)",
        0.0,
        1.0,
        source="[assumption] 0 gives Epstein's sharp rule",
    ),
    _p(
        "behaviour.skip_trust",
        0.4,
        "0-1",
        "below this trust a failed party skips to petition (L4)",
        0.0,
        1.0,
    ),
    _p(
        "behaviour.litigation_share",
        0.561,
        "probability",
        "chance a party failed at town level (L3) goes to court (L5) instead of petitioning",
        0.0,
        1.0,
        source=f"{CALIBRATED}: about 1% of mediated disputes go on to court (national figures)",
    ),
    _p(
        "behaviour.drop_prob",
        0.25,
        "probability",
        "chance a failed party drops the dispute (dormant)",
        0.0,
        1.0,
    ),
    _p("behaviour.fail_intensity", 0.1, "0-1", "intensity added by a failed mediation", 0.0, 1.0),
    _p("behaviour.trust_gain", 0.05, "0-1", "trust gained after a satisfying resolution", 0.0, 1.0),
    _p("behaviour.trust_loss", 0.08, "0-1", "trust lost after a failure or a long wait", 0.0, 1.0),
    _p(
        "behaviour.satisfaction_base",
        3.633,
        "logit",
        "satisfaction intercept after a resolution",
        -10.0,
        10.0,
        source=f"{CALIBRATED}: 92.91% satisfied with petition work (news report)",
    ),
    # --- costs (wan yuan = 10,000 yuan per year)
    _p(
        "costs.grid_worker",
        6.0,
        "wan yuan/year",
        "salary and overheads of a grid worker",
        0.0,
        100.0,
    ),
    _p(
        "costs.volunteer_police",
        0.3,
        "wan yuan/year",
        "coordination and kit per Yi Police volunteer",
        0.0,
        100.0,
        source="[assumption] volunteers are unpaid (article) but need coordination",
    ),
    _p("costs.police_officer", 15.0, "wan yuan/year", "a community police officer", 0.0, 200.0),
    _p("costs.trust_room", 2.0, "wan yuan/year", "running a trust room", 0.0, 100.0),
    _p(
        "costs.petition_supermarket",
        300.0,
        "wan yuan/year",
        "running the petition supermarket",
        0.0,
        10000.0,
    ),
)

SCHEMA: dict[str, Parameter] = {p.key: p for p in PARAMETERS}
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(p.section for p in PARAMETERS))


def defaults() -> dict[str, Any]:
    """A fresh dict of every parameter at its default."""
    return {p.key: copy.deepcopy(p.default) for p in PARAMETERS}


def unknown_key_error(key: str) -> ParameterError:
    """The error for a key that is not in the schema, with the closest known key as a hint."""
    close = difflib.get_close_matches(key, SCHEMA, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ParameterError(f"{shown(key)}: unknown parameter{hint}")


def flatten(tables: Mapping[str, Any]) -> dict[str, Any]:
    """Section tables as dotted keys: ``{"petition": {"counters": 5}}`` -> ``{"petition.counters": 5}``.

    Unknown sections and keys are errors; values are checked later, by :func:`resolve`.
    """
    flat = {}
    for section, table in tables.items():
        if section not in SECTIONS:
            raise ParameterError(
                f"[{shown(section)}]: unknown section (expected one of {', '.join(SECTIONS)})"
            )
        if not isinstance(table, dict):
            raise ParameterError(f"{shown(section)}: expected a [{section}] table of settings")
        for key, value in table.items():
            dotted = f"{section}.{key}"
            if dotted not in SCHEMA:
                raise unknown_key_error(dotted)
            flat[dotted] = value
    return flat


def resolve(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The defaults with ``overrides`` (dotted keys) applied and checked.

    >>> resolve({"grid_workers.total": 2000})["grid_workers.total"]
    2000
    """
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ParameterError(
            f"params: expected a dict of dotted keys to values, got {type(overrides).__name__}"
        )
    params = defaults()
    for key, value in (overrides or {}).items():
        if not isinstance(key, str):
            raise ParameterError(
                f"{key!r}: a parameter key is a dotted name such as 'grid_workers.total'"
            )
        if key not in SCHEMA:
            raise unknown_key_error(key)
        params[key] = SCHEMA[key].check(value)
    return params
