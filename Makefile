# Điển hình tiên tiến — developer entry points. `make run` and `make test` bootstrap .venv themselves.
VENV ?= .venv
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_PASSWORD ?= demo1234
WORKERS ?= 4
BIN := $(VENV)/bin
PY := $(BIN)/python
PYTEST_ARGS ?=
PYTEST_WORKERS ?= auto

.PHONY: help venv run test lint format serve worker bench bench-http migration clean

help:
	@echo "make run      serve on http://$(HOST):$(PORT) (creates .venv, the database and the demo data if needed)"
	@echo "make test     the whole test suite (TEST_DATABASE_URL enables PostgreSQL; Chromium enables browser tests)"
	@echo "make lint     ruff, and import-linter (the layers of docs/ARCHITECTURE.md)"
	@echo "make serve    gunicorn, $(WORKERS) workers, DIENHINH_ENV=production (set DATABASE_URL, SECRET_KEY, BALLOT_KEY or"
	@echo "             BALLOT_KEY_FILE, AUDIT_SIGNING_KEY and BASE_URL: it refuses to start without them, naming the first)"
	@echo "make worker   the notification delivery worker"
	@echo "make bench    list/detail/transition/audit benchmarks (bench/run.py; BENCH_ARGS=...)"
	@echo "make bench-http  gunicorn + wrk against a hello world, demo and 100k data (bench/http_bench.py; BENCH_HTTP_ARGS=...)"
	@echo "make migration m=\"what changed\"   autogenerate a new Alembic revision (review it!)"
	@echo "make clean    remove .venv and caches (keeps instance/)"

venv: $(VENV)/.installed

# Reinstalled only when pyproject.toml changes (or .venv is missing).
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
		echo "error: Python 3.11 or newer is required; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; \
		echo "       Run e.g. 'make PYTHON=python3.12 $(MAKECMDGOALS)'." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

# The demo data is loaded only into an empty database: `is-empty` exits 0 (empty), 10 (has users) or fails loudly.
IS_EMPTY = import sys; from sqlalchemy import func, select; from web import create_app; from models import User; \
	engine = create_app().extensions["dienhinh.engine"]; \
	conn = engine.connect(); n = conn.scalar(select(func.count()).select_from(User)); conn.close(); \
	sys.exit(0 if n == 0 else 10)

run: venv
	$(BIN)/dienhinh init-db
	@rc=0; $(PY) -c '$(IS_EMPTY)' || rc=$$?; \
	if [ $$rc -eq 0 ]; then \
		$(BIN)/dienhinh seed-demo --password '$(DEMO_PASSWORD)' || exit $$?; \
	elif [ $$rc -eq 10 ]; then \
		echo "The database already holds data: demo data not loaded again."; \
	else \
		echo "error: could not inspect the database (exit $$rc)" >&2; exit $$rc; \
	fi
	@echo "Serving on http://$(HOST):$(PORT) — demo accounts (admin, vanphong, giamdoc, tp_pbgdpl, ...): password '$(DEMO_PASSWORD)'."
	$(BIN)/dienhinh run --host $(HOST) --port $(PORT)

test: venv
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff format .

# Production mode: no key is ever generated; a missing or malformed setting stops the start with one line naming it.
serve: export DIENHINH_ENV = production
serve: venv
	$(BIN)/dienhinh init-db
	$(BIN)/gunicorn -c python:web.ops.gunicorn_conf -w $(WORKERS) -b $(HOST):$(PORT) 'web.wsgi:app'

# `dienhinh notifications deliver` is the e-mail outbox worker (delivered with the notifications work).
worker: venv
	$(BIN)/dienhinh notifications deliver

BENCH_ARGS ?=
bench: venv
	$(PY) bench/run.py $(BENCH_ARGS)

# The HTTP benchmark (bench/README.md): PostgreSQL at BENCH_HTTP_URL, wrk when installed (apt-get install wrk).
BENCH_HTTP_URL ?= postgresql://postgres@127.0.0.1:5432/dienhinh_bench_http
BENCH_HTTP_ARGS ?= --sizes demo,100k --rounds 3 --duration 5
bench-http: venv $(VENV)/.bench-installed
	$(PY) bench/http_bench.py --url '$(BENCH_HTTP_URL)' $(BENCH_HTTP_ARGS)

$(VENV)/.bench-installed: pyproject.toml
	$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $@

migration: venv
	@test -n "$(m)" || { echo 'usage: make migration m="what changed"' >&2; exit 1; }
	$(PY) -c 'import sys; from web.migrate import new_revision; new_revision(sys.argv[1])' "$(m)"

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -not -path './$(VENV)/*' -exec rm -rf {} +
