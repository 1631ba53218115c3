# The project's commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell .ci/find-python)
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
PYTEST_ARGS ?=
export SAM_CLI_TELEMETRY := 0

.PHONY: help venv test lint template-check build clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: shared/requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet -r shared/requirements.txt --group dev
	@touch $@

venv: $(VENV)/.installed ## create .venv with the runtime and development packages

test: venv ## run every test (unit, integration against moto + the marketplace sandbox)
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

lint: venv ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared functions local tests

$(SAM_VENV)/.installed:
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli
	@touch $@

template-check: venv $(SAM_VENV)/.installed ## cfn-lint and sam validate --lint
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --region us-east-1

build: $(SAM_VENV)/.installed ## sam build (needs python3.13 for the Lambda runtime)
	@py313=$$(command -v python3.13 || ls $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 2>/dev/null | head -1); \
	  if [ -z "$$py313" ]; then echo "sam build needs python3.13 on PATH (the Lambda runtime)"; exit 1; fi; \
	  PATH="$$(dirname $$py313):$$PATH" $(SAM) build

clean: ## remove build output and caches
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
