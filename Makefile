# DSR Desk developer commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
# `make run PORT=8080 HOST=0.0.0.0` serves elsewhere.
PORT ?= 8000
HOST ?= 127.0.0.1
# Emailed links follow a port or host given here (DSR_BASE_URL, e.g. in .env, otherwise).
ifneq ($(PORT)$(HOST),8000127.0.0.1)
RUN_BASE_URL := DSR_BASE_URL=http://$(HOST):$(PORT)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist workers for `make test` (auto: one per core); TEST_WORKERS=0: one process.
TEST_WORKERS ?= auto

.PHONY: install run test test-sqlite lint format bench docs screenshots soak migration clean

install: $(STAMP)

# Re-install only when the lock file or project metadata changes.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	# Bytecode now, once, rather than on each first import (seconds for a first `dsr`).
	$(BIN)/python -m compileall -q -j 0 app connectors $(VENV)/lib >/dev/null || true
	touch $(STAMP)

run: install
	mkdir -p var
	test -f privacy.yaml || cp privacy.example.yaml privacy.yaml
	$(BIN)/dsr db upgrade
	$(BIN)/dsr demo
	@echo "serving on http://$(HOST):$(PORT)/request (the demo admin's password: var/demo-admin.txt)"
	$(RUN_BASE_URL) $(BIN)/dsr serve --host $(HOST) --port $(PORT)

test: install
	./scripts/test-services
	$(BIN)/pytest -n $(TEST_WORKERS)

test-sqlite: install
	$(BIN)/pytest --db sqlite -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every benchmark, one table of figures beside the issues' goals, added to bench/results.md
# (under 25 minutes on 2 cores). `make bench-quick` (or BENCH_QUICK=1) runs small sizes
# in a minute or two and writes no file.
.PHONY: bench-quick
bench: install
	./scripts/test-services
	$(BIN)/python bench/run.py

bench-quick: install
	./scripts/test-services
	$(BIN)/python bench/run.py --quick

# The configuration reference in docs/configuration.md, rendered from app.settings.Settings.
docs: install
	$(BIN)/python -m app.settings_doc

# The staff UI screenshots of docs/support.md (the demo on a free port, Debian's Chromium).
screenshots: install
	$(BIN)/python scripts/screenshots.py

# The reliability suites (soak/README.md): faults on PostgreSQL, then load on SQLite and
# PostgreSQL. Bounded well under 30 minutes on 2 cores; each prints its figures, and both
# run even when the first finds a violation (then the target fails).
soak: install
	./scripts/test-services
	@status=0; \
	echo "== faults (PostgreSQL: web + two workers, kills, connection cuts, relay outage)"; \
	$(BIN)/python -m soak.faults || status=1; \
	echo "== load (SQLite, then PostgreSQL)"; \
	$(BIN)/python -m soak.load || status=1; \
	echo "== hostile mail at full size, and the properties with more examples"; \
	$(BIN)/pytest -q -m soak tests/hostile || status=1; \
	$(BIN)/pytest -q --hypothesis-profile=soak tests/properties || status=1; \
	exit $$status

# Generate a migration from model changes: make migration m="add export table"
migration: install
	$(BIN)/python -c "from alembic import command; from app.migrations import alembic_config; \
		command.revision(alembic_config('sqlite+aiosqlite:///./var/migrate.db'), message='$(m)', autogenerate=True)"

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --quiet -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
