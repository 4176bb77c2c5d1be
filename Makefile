# The two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WORK := .work

.PHONY: run test lint test-python test-js browser-deps clean services services-stop

# An editable install of packages at the top of the checkout makes setuptools
# map them with an import hook, and it says so in a boxed "BuildBackendWarning:
# Editable installation" that reads like an error. It is information only: filter that
# one message, nothing else.
PIP_INSTALL := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/pip install --quiet

# Running needs only the project and its few dependencies; the test and
# cluster toolchain (playwright, schemathesis, asyncpg, the search clients...)
# comes with `make test`, so a first `make run` stays quick.
$(BIN)/autocompeter: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -e .
	touch $@

# Everything the tests, the benchmark and the scaled-out setup need.
DEV := $(VENV)/.dev-installed
$(DEV): $(BIN)/autocompeter
	$(PIP_INSTALL) -e '.[dev,postgres,opensearch,elasticsearch]'
	touch $@

## run: the service on the embedded default, with the demo domain, on :8000
run: $(BIN)/autocompeter
	$(BIN)/autocompeter serve --demo

# The scaled-out setup's real services for the tests (fixed ports, data in .work/services).
PG_PORT ?= 55432
OPENSEARCH_PORT ?= 59200
# Below the ephemeral range (32768-60999): a busy machine's client connections took 59300
# and 59400 (bind: address in use); 59300 up are also OpenSearch transport ports for NODES=3.
ELASTICSEARCH_PORT ?= 29400
export TEST_DATABASE_URL := postgresql://autocompeter@127.0.0.1:$(PG_PORT)/autocompeter
# ENGINE=elasticsearch: no OpenSearch; the scaled tests' engine is the Elasticsearch 9 node.
export TEST_SEARCH_URL := $(if $(filter elasticsearch,$(ENGINE)),elasticsearch+http://127.0.0.1:$(ELASTICSEARCH_PORT),opensearch+http://127.0.0.1:$(OPENSEARCH_PORT))
# ENGINE=opensearch3: OpenSearch 3.9 (Java 25) in place of 2.19, in a data dir of its own.
# NODES=3: a three-node 2.19 cluster on ports OPENSEARCH_PORT up; start.sh prints the SEARCH_URL
# with every host (the tests' direct calls go to the first).
ENGINE ?= opensearch
NODES ?= 1
OPENSEARCH_WORK := $(WORK)/services$(if $(filter opensearch3,$(ENGINE)),/opensearch3)
export TEST_ELASTICSEARCH_URL := elasticsearch+http://127.0.0.1:$(ELASTICSEARCH_PORT)

## test: install and start what the tests need, then run every test
# Services are stopped again whatever the outcome, so nothing outlives the run.
test: $(DEV) browser-deps services
	status=0; \
	$(BIN)/ruff check . && $(MAKE) test-js && $(BIN)/pytest || status=$$?; \
	$(MAKE) services-stop; exit $$status

## services: start PostgreSQL 15, OpenSearch 2.19 and Elasticsearch 9 for the scaled-out tests
services:
	bash services/postgres/start.sh $(WORK)/services $(PG_PORT)
	$(if $(filter elasticsearch,$(ENGINE)),,OPENSEARCH_NODES=$(NODES) bash services/$(ENGINE)/start.sh $(OPENSEARCH_WORK) $(OPENSEARCH_PORT))
	bash services/elasticsearch/start.sh $(WORK)/services $(ELASTICSEARCH_PORT)
	@echo "TEST_SEARCH_URL=$(TEST_SEARCH_URL)"

services-stop:
	bash services/elasticsearch/stop.sh $(WORK)/services
	bash services/opensearch/stop.sh $(WORK)/services
	bash services/opensearch3/stop.sh $(WORK)/services/opensearch3
	bash services/postgres/stop.sh $(WORK)/services

test-js:
	node --test tests/js/

browser-deps:
	bash scripts/install-browser-deps.sh

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(WORK) test-output

## bench: load, query and memory benchmarks, and never-seen queries beside the Go original
## (not part of `make test`), rewrites BENCHMARKS.md; installs wrk, nginx, redis if missing.
## BENCH_ARGS="--only distinct": that comparison alone, a few minutes, .work/bench/distinct.md
## BENCH_ARGS="--setup scaled --nodes 3": the scaled setup on a three-node OpenSearch cluster
.PHONY: bench
BENCH_ARGS ?= --setup both
bench: $(DEV)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## relevance: the relevance report on the embedded and the scaled setup (stops services after, like test)
.PHONY: relevance
relevance: $(DEV) services
	status=0; \
	$(BIN)/python -m tests.relevance.report $(RELEVANCE_ARGS) || status=$$?; \
	$(MAKE) services-stop; exit $$status

## soak: 10 minutes of mixed searches and writes at ~70% of peak (not part of `make test`)
.PHONY: soak
soak: $(DEV)
	$(BIN)/python bench/soak.py $(SOAK_ARGS)
