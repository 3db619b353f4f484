# pipeline-contracts: every job is one target; `make` alone lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

API      ?= all
BASE_URL ?=
TOKEN    ?=
BASIC    ?=
LOGIN    ?=
ARGS     ?=

CONFORMANCE_FLAGS = --api $(API) \
	$(if $(BASE_URL),--base-url $(BASE_URL)) \
	$(if $(TOKEN),--token $(TOKEN)) \
	$(if $(BASIC),--basic $(BASIC)) \
	$(if $(LOGIN),--login $(LOGIN))

.DEFAULT_GOAL := help
.PHONY: help validate test test-fast wheel-check mock conformance conformance-zenml-live test-live bench soak lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-23s %s\n", $$1, $$2}'
	@echo "  make conformance API=NAME BASE_URL=URL [TOKEN=... | BASIC=user:pass | LOGIN=user:pass]"

# The virtualenv is (re)built whenever pyproject.toml changes, so a fresh clone needs nothing else.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Spectral (spec authors' linter), pinned, installed by npm into .node/ on first use; skipped without npm.
SPECTRAL_VERSION := 6.16.3
SPECTRAL := .node/spectral-$(SPECTRAL_VERSION)/node_modules/.bin/spectral

validate: $(STAMP) ## check the specs: openapi-spec-validator, the house rules, Spectral's spectral:oas
	@test -x $(SPECTRAL) || ! command -v npm >/dev/null || \
		npm install --silent --no-audit --no-fund --prefix .node/spectral-$(SPECTRAL_VERSION) @stoplight/spectral-cli@$(SPECTRAL_VERSION)
	$(BIN)/python -m conformance.speclint --spectral $(SPECTRAL)

test: $(STAMP) ## run the whole test suite (specs, mock, conformance self-tests)
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## the tests not marked slow (whole conformance runs, real servers), on two workers
	$(BIN)/python -m pytest -m "not slow" -n 2

wheel-check: $(STAMP) ## build the wheel, install it in a fresh venv, run mock-server and the suite from an empty folder
	PYTHON=$(PYTHON) .ci/wheel-check

mock: $(STAMP) ## run the fake backend on 127.0.0.1:8000 (ARGS="--api gocd-stages --seed 1" ...)
	$(BIN)/python -m mock_server $(ARGS)

conformance: $(STAMP) ## check a server against its contract (default: the in-process mock)
	$(BIN)/python -m conformance run $(CONFORMANCE_FLAGS) $(ARGS)

conformance-zenml-live: $(STAMP) ## check a real ZenML 0.98.0 server (own venv .venv-zenml, throwaway store)
	$(BIN)/python -m live.zenml_server conformance $(ARGS)

test-live: $(STAMP) ## ZenML's own client against the mock and a real server; the live check can fail
	LIVE=1 $(BIN)/python -m pytest tests/live

bench: $(STAMP) ## mock vs Prism vs bare Starlette, start-up, scale (installs Prism with npm; ARGS="--quick")
	$(BIN)/python -m bench $(ARGS)

soak: $(STAMP) ## all five APIs under a steady mixed load for 60 s: errors, RSS, p50/p99 drift (ARGS="--seconds 300")
	$(BIN)/python -m bench.soak $(ARGS)

lint: $(STAMP) ## ruff (check and format) and mypy (strict for the packages)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean: ## remove the virtualenv, caches and reports (not .venv-zenml: it takes a minute to rebuild)
	rm -rf $(VENV) .hypothesis .schemathesis .pytest_cache .ruff_cache reports *.egg-info dist build bench/.node .node bench/results*.json
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
