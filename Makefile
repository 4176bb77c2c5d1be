# The two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WORK := .work

.PHONY: run test lint test-python test-js browser-deps clean

$(BIN)/autocompeter: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

## run: the service on the embedded default, with the demo domain, on :8000
run: $(BIN)/autocompeter
	$(BIN)/autocompeter serve --demo

## test: install and start what the tests need, then run every test
test: $(BIN)/autocompeter browser-deps
	$(BIN)/ruff check .
	$(MAKE) test-js
	$(BIN)/pytest

test-js:
	node --test tests/js/

browser-deps:
	bash scripts/install-browser-deps.sh

lint: $(BIN)/autocompeter
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(WORK) test-output
