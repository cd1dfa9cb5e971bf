# mlTrainer: `make run` sets everything up and starts the system; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# make run needs only the runtime requirements; make test adds the test tools (requirements-dev.txt).
RUN_STAMP := $(VENV)/.installed-run-$(shell cat requirements.txt | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)

.PHONY: install run test lint bench bench-scale bench-load chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-run-* && touch $@

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@ $(RUN_STAMP)

install: $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/python scripts/run_local.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/mypy
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot work offline).
chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Debian's chromium for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

test: lint chromium
	$(BIN)/pytest

# The figures of the performance table (SQLite, and PostgreSQL when it answers), then the trial-overhead figures.
bench: install
	$(BIN)/python scripts/bench_figures.py
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_pages.py
	$(BIN)/python scripts/bench_registry.py
	$(BIN)/python scripts/bench_coach.py

# The scale figures on PostgreSQL (127.0.0.1:5432 or BENCH_POSTGRES_URL), in its own database mltrainer_bench_scale:
# 1,000,000 trials loaded once (BENCH_SCALE_TRIALS), lists with EXPLAIN, the export, predictions, 100 workers.
bench-scale: install
	$(BIN)/python scripts/bench_scale.py

# Many users at once (locust, loopback only, bounded in time): percentiles, requests per second and errors.
bench-load: install
	$(BIN)/python scripts/bench_concurrency.py
