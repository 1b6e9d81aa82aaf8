# The single entry point: `make run` and `make test` are what README.md gives a new user.
PY := .venv/bin/python
PYTEST := .venv/bin/pytest
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
REDIS ?= redis://127.0.0.1:6379/0

.PHONY: install run migrate demo serve test test-pg test-e2e lint check bench

install:
	@bash scripts/install.sh

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	@bash scripts/serve.sh

test: install
	$(PYTEST) -q -m "not e2e"

test-pg: install
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(PYTEST) -q -m "not e2e"

test-e2e: install
	$(PYTEST) -q -m e2e

lint: install
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports

check: lint test

bench: install
	$(PY) -m bench.run
