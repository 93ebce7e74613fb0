# make run   - set up .venv if missing, then simulate the baseline district for a year
# make test  - set up .venv if missing, then run the tests
# make app   - set up .venv if missing, then serve the web app on http://127.0.0.1:8765
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXTRAS := dev,dask,gis,ema,solaraviz

.PHONY: run test lint format bench map golden mutants clean app assets

# uv (from PyPI) installs the same packages as pip in seconds rather than minutes; pip if uv cannot.
# Both compile the packages to bytecode as they install them: where PYTHONDONTWRITEBYTECODE is
# set, Python would otherwise compile ~1,400 modules afresh in every process it starts (2.5 s of
# CPU for each govsim command, pool worker and test worker).
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet uv && $(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -e ".[$(EXTRAS)]" \
		|| $(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	$(PY) tools/solara_assets.py || echo "warning: Solara's browser assets not installed; the app needs a CDN"
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m sim run baseline --days 365 --out results/baseline

test: $(STAMP)
	$(PY) -m compileall -q sim  # the package's own bytecode, for the processes the tests start
	$(PY) -m ruff check sim tests benchmarks tools examples
	$(PY) -m ruff format --check sim tests benchmarks tools examples
	$(VENV)/bin/lint-imports  # the layers of docs/ARCHITECTURE.md
	$(VENV)/bin/mypy  # the types of sim/ (pyproject.toml [tool.mypy])
	$(PY) -m pytest -n auto --durations=30  # pytest-xdist: a worker per core, whole modules, README examples one by one (tests/conftest.py)

lint: $(STAMP)
	$(PY) -m ruff check sim tests benchmarks tools examples

format: $(STAMP)
	$(PY) -m ruff format sim tests benchmarks tools examples
	$(PY) -m ruff check --fix sim tests benchmarks tools examples

bench: $(STAMP)
	$(PY) benchmarks/bench_model.py
	$(PY) benchmarks/bench_long.py
	$(PY) benchmarks/bench_sweep.py
	$(PY) benchmarks/bench_app.py
	$(PY) benchmarks/bench_optimise.py

# Solara's browser assets (from npm) in the venv, so the app works offline
assets: $(STAMP)
	$(PY) tools/solara_assets.py

app: assets
	$(PY) -m sim app

golden: $(STAMP)  # after an intended change of the model's results
	$(PY) tools/update_golden.py

# Do the fast tests catch a changed rule? mutmut changes one rule at a time in a copy of sim/
# (mutants/) and runs the tests that reach it ([tool.mutmut] in pyproject.toml; docs/TESTING.md).
# Tens of minutes; results are kept in mutants/, so a second run retests only what changed.
# One module: make mutants MUTANTS='sim.model.agents.*'
MUTANTS ?=
mutants: $(STAMP)
	env -u PYTHONPATH $(VENV)/bin/mutmut run $(MUTANTS)
	$(PY) tools/mutation_score.py --survivors

map: $(STAMP)
	$(PY) -m sim map --out results/map.png

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache mutants
