# The two commands a new user needs: `make run` and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DATABASE ?= $(or $(CONSULT_DATABASE_URL),sqlite://./var/consult.sqlite3)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: js run test lint bench bench-smoke install migrate demo schema screenshots lighthouse test-sqlite test-postgres clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "consult needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# The browser packages the server serves (graphql-ws for the pages, React and GraphiQL for /graphql),
# exactly as frontend_static/package-lock.json pins them.
FRONTEND := frontend_static/node_modules/.package-lock.json
$(FRONTEND): frontend_static/package-lock.json
	@command -v npm > /dev/null || { echo "consult's web pages need Node.js 20+ with npm to install their browser packages (apt-get install nodejs npm)."; exit 1; }
	npm ci --prefix frontend_static --omit=peer --no-audit --no-fund --silent
	touch $@

install: $(INSTALLED) $(FRONTEND)

migrate: $(INSTALLED)
	$(BIN)/consult migrate --database "$(DATABASE)"

demo: migrate
	$(BIN)/consult demo --if-empty --database "$(DATABASE)"

## make run: install, migrate, load the 菜园巷 demo on first start, serve on http://127.0.0.1:8000
run: demo $(FRONTEND)
	$(BIN)/consult serve --database "$(DATABASE)" --host $(HOST) --port $(PORT)

## make test: the whole suite on SQLite, and again on PostgreSQL when CONSULT_TEST_POSTGRES_URL is set
test: $(INSTALLED) $(FRONTEND) js
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$CONSULT_TEST_POSTGRES_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "CONSULT_TEST_POSTGRES_URL is not set: PostgreSQL run skipped."; fi

# The tests' node packages, installed again only when their lock file changes (make lint needs graphql-schema-linter).
TESTS_JS := tests/js/node_modules/.package-lock.json
$(TESTS_JS): tests/js/package-lock.json
	@if command -v node > /dev/null && command -v npm > /dev/null; then \
	  npm ci --prefix tests/js --no-audit --no-fund --silent && touch $@; \
	else echo "node/npm not found: the tests' node packages are not installed."; fi

## make lint: every gate, each reported, failing if any fails: ruff, ruff format, mypy, migration drift, code shape, schema descriptions
# The code-shape test is skipped (said so) until tests/test_code_shape.py exists.
# graphql-schema-linter (pinned in tests/js) reads the exported schema/schema.graphql: every type, field, argument,
# input field and enum value is described (GraphiQL's Docs pane is the API's manual), and names and Relay
# connections follow the usual forms. Without node it is skipped (said so); tests/test_schema.py checks the
# descriptions in `make test` all the same.
SCHEMA_LINTER := tests/js/node_modules/.bin/graphql-schema-linter
SCHEMA_RULES := types-have-descriptions fields-have-descriptions arguments-have-descriptions \
	input-object-values-have-descriptions enum-values-have-descriptions descriptions-are-capitalized \
	deprecations-have-a-reason defined-types-are-used types-are-capitalized fields-are-camel-cased \
	input-object-values-are-camel-cased enum-values-all-caps relay-connection-types-spec \
	relay-connection-arguments-spec relay-page-info-spec
EMPTY :=
COMMA := ,
SCHEMA_RULE_LIST := $(subst $(EMPTY) $(EMPTY),$(COMMA),$(strip $(SCHEMA_RULES)))
LINT_GATES := \
	"ruff check|$(BIN)/ruff check --output-format concise ." \
	"ruff format|$(BIN)/ruff format --check ." \
	"mypy|$(BIN)/mypy" \
	"migrations match the models|$(BIN)/consult check-migrations" \
	"code shape|test ! -f tests/test_code_shape.py && echo 'tests/test_code_shape.py not found: skipped' || $(BIN)/pytest -q tests/test_code_shape.py" \
	"schema descriptions|if command -v node > /dev/null; then $(SCHEMA_LINTER) --format compact --rules $(SCHEMA_RULE_LIST) schema/schema.graphql && echo 'schema/schema.graphql: 0 violations'; else echo 'node not found: graphql-schema-linter skipped'; fi"
lint: $(INSTALLED) $(TESTS_JS)
	@failed=""; \
	for gate in $(LINT_GATES); do \
	  name=$${gate%%|*}; \
	  echo "== $$name"; \
	  sh -c "$${gate#*|}" || failed="$$failed\n  - $$name"; \
	done; \
	if [ -n "$$failed" ]; then printf "make lint: these gates failed:$$failed\n"; exit 1; fi; \
	echo "make lint: every gate passed."

# The reference graphql-ws client, axe-core and graphql-schema-linter, for the protocol, accessibility and schema
# tests; skipped without node.
js:
	@if command -v node > /dev/null && command -v npm > /dev/null; then \
	  npm ci --prefix tests/js --no-audit --no-fund --silent; \
	else echo "node/npm not found: the graphql-ws conformance test will be skipped."; fi

# The suite runs on TEST_WORKERS processes (pytest-xdist), one per core unless told: TEST_WORKERS=1 runs it in one.
# Each worker takes the next test when it is free (--maxschedchunk 1); the long browser, live and
# CLI tests are collected first, so the short API tests even out the end.
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --maxschedchunk 1

test-sqlite: $(INSTALLED)
	CONSULT_TEST_DB=sqlite $(BIN)/pytest -q $(XDIST)

# Pure domain tests touch no database, so the PostgreSQL run leaves them out.
test-postgres: $(INSTALLED)
	CONSULT_TEST_DB=postgres $(BIN)/pytest -q $(XDIST) --ignore=tests/domain

## make bench: `consult bench` on PostgreSQL with 1 and 2 workers (drops and rebuilds BENCH_DATABASE)
BENCH_DATABASE ?= postgres://postgres@127.0.0.1:5432/consult_bench
BENCH_ARGS ?=
bench: $(INSTALLED)
	$(BIN)/consult bench --database "$(BENCH_DATABASE)" $(BENCH_ARGS)

## make bench-smoke: every bench workload for a moment at a tiny size; fails on any error (CI runs it)
bench-smoke: $(INSTALLED)
	$(BIN)/consult bench --smoke --database "$(BENCH_DATABASE)_smoke"

## make schema: re-export schema/schema.graphql from the code
schema: $(INSTALLED)
	$(BIN)/consult export-schema

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis

## make screenshots: refresh the README images under docs/ (the browser tests take them; needs Debian's chromium-headless-shell or chromium)
screenshots: $(INSTALLED) $(FRONTEND) js
	CONSULT_SCREENSHOTS=1 CONSULT_TEST_DB=sqlite $(BIN)/pytest -q tests/browser

## make lighthouse: Lighthouse's mobile scores of the start page and a resident's page, on the served demo (needs node and chromium)
LIGHTHOUSE := tests/lighthouse/node_modules/.bin/lighthouse
$(LIGHTHOUSE): tests/lighthouse/package-lock.json
	@command -v npm > /dev/null || { echo "make lighthouse needs Node.js 20+ with npm (apt-get install nodejs npm)."; exit 1; }
	npm ci --prefix tests/lighthouse --no-audit --no-fund --silent
	touch $@
lighthouse: $(INSTALLED) $(FRONTEND) $(LIGHTHOUSE)
	$(BIN)/python -m tests.lighthouse.run
