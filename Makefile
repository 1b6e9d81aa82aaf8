# The single entry point: `make run` and `make test` are what README.md gives a new user.
PY := .venv/bin/python
PYTEST := .venv/bin/pytest
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
REDIS ?= redis://127.0.0.1:6379/0
# make bench: a PostgreSQL server (the bench creates and drops <name>_bench_app/_floor there) and a
# Redis database the bench may empty; SECTIONS picks sections (default: all).
BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/kehoach
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/15
SECTIONS ?=
# The suite runs in TEST_WORKERS processes (pytest-xdist; 0 = one process): one per core here.
TEST_WORKERS ?= 2
UNIT := -n $(TEST_WORKERS) -m "not e2e and not serve and not fuzz"

.PHONY: install run serve-prod migrate demo serve test test-fast test-pg test-e2e test-serve test-fuzz test-fuzz-pg lint check bench bench-search bench-dashboard messages

install:
	@bash scripts/install.sh

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

run: demo
	@bash scripts/serve.sh

# Production: WORKERS uvicorn processes on PostgreSQL + Redis (README, "Production"); the
# environment gives DATABASE_URL, REDIS_URL, PUBLIC_BASE_URL, ALLOWED_HOSTS, SECRET_KEY.
WORKERS ?= 2
serve-prod: install
	DJANGO_SETTINGS_MODULE=config.settings.production WORKERS=$(WORKERS) bash scripts/serve.sh

test: install
	$(PYTEST) -q $(UNIT)

# The inner loop: what needs no LibreOffice conversion or browser (tests marked slow are left).
test-fast: install
	$(PYTEST) -q -n $(TEST_WORKERS) -m "not e2e and not serve and not fuzz and not slow"

test-pg: install
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(PYTEST) -q $(UNIT)

test-e2e: install
	$(PYTEST) -q -m e2e

# Schemathesis over the whole API, as every kind of user; no 5xx, every answer as the schema says.
test-fuzz: install
	$(PYTEST) -q -m fuzz

test-fuzz-pg: install
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(PYTEST) -q -m fuzz

# scripts/serve.sh with real processes: two instances side by side, stopped by process group.
test-serve: install
	@bash scripts/unoserver.sh --install
	$(PYTEST) -q -m serve

lint: install
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports && .venv/bin/mypy

check: lint test

bench: install
	@bash scripts/unoserver.sh --install
	BENCH_PG_URL=$(BENCH_PG_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) $(PY) -m bench.run $(SECTIONS)

# Search at 10,000 plans (SEARCH_PLANS), on SQLite or DATABASE_URL; a few minutes.
bench-search: install
	$(PY) -m bench.search

bench-dashboard: install
	$(PY) -m bench.dashboard

# Refresh the English catalogues in locale/ after changing texts, then translate the new or
# fuzzy entries and run it again to compile. The .mo files are committed, so serving English
# needs no gettext. static/js calls gettext through an alias, t("…"), which makemessages
# -d djangojs does not extract: the JavaScript catalogue is extracted with xgettext --keyword=t.
MSG_IGNORE := --ignore=.venv --ignore=.venv-uno --ignore=var --ignore=tests --ignore=agent
JS_PO := locale/en/LC_MESSAGES/djangojs.po
JS_POT := locale/djangojs.pot

messages: install
	$(PY) manage.py makemessages -l en $(MSG_IGNORE)
	xgettext --language=JavaScript --from-code=UTF-8 --add-comments=Translators --keyword=t \
		--package-name=kehoach --output=$(JS_POT) static/js/*.js
	@# The first time only; msginit copies msgids as English translations, msgfilter empties them.
	test -f $(JS_PO) || msginit --no-translator --locale=en --input=$(JS_POT) --output-file=- \
		| msgfilter --keep-header --output-file=$(JS_PO) sed -e d
	msgmerge --quiet --update --backup=none --previous $(JS_PO) $(JS_POT)
	rm -f $(JS_POT)
	$(PY) manage.py compilemessages --ignore=.venv --ignore=.venv-uno
