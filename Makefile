# make run   - set up .venv if missing, then simulate the baseline district for a year
# make test  - set up .venv if missing, then run the tests
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench map clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,dask]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m sim run baseline --days 365 --out results/baseline

test: $(STAMP)
	$(PY) -m ruff check sim tests benchmarks tools
	$(PY) -m ruff format --check sim tests benchmarks tools
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check sim tests benchmarks tools

format: $(STAMP)
	$(PY) -m ruff format sim tests benchmarks tools
	$(PY) -m ruff check --fix sim tests benchmarks tools

bench: $(STAMP)
	$(PY) benchmarks/bench_model.py
	$(PY) benchmarks/bench_sweep.py

map: $(STAMP)
	$(PY) -m sim map --out results/map.png

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache
