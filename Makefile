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

LOCAL := PYTHONPATH=shared $(PY) -m local
BENCH := PYTHONPATH=shared $(PY) -m bench
# `make token USER=alice`: USER from the command line, not the login name from the environment.
TOKEN_USER := $(if $(filter command line,$(origin USER)),$(USER),alice)

.PHONY: help venv demo up token invoke openapi bench test browser lint template-check build lambda-check clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: shared/requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet -r shared/requirements.txt --group dev
	@touch $@

venv: $(VENV)/.installed ## create .venv with the runtime and development packages

demo: venv ## run the system locally: play the promotion scenario, print a summary (< 3 min)
	$(LOCAL) demo

up: venv ## run the local stack until Ctrl-C; SELLERJOBS_TIME_SCALE=30 runs it 30x faster
	$(LOCAL) up

token: venv ## print a dev JWT: make token USER=alice [ADMIN=1]
	@$(LOCAL) token $(TOKEN_USER) $(if $(ADMIN),--admin)

invoke: venv ## run one function like sam local invoke: make invoke FN=<logical id> EVENT=events/<file>.json
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=PromotionWorkerFunction EVENT=events/promotion_worker.sqs.json"; exit 2; }
	$(LOCAL) invoke $(FN) $(EVENT)

openapi: venv ## write functions/openapi/openapi.json from the handlers' routes
	$(LOCAL) openapi

bench: venv ## run every benchmark (about four hours on 2 cores): tables here, JSON in bench/results/
	$(BENCH) coldstart
	$(BENCH) enqueue
	$(BENCH) promotions
	$(BENCH) cost --from bench/results/promotions.json
	$(BENCH) reliability --jobs 2000 --sellers 80
	$(BENCH) fuzz
	$(BENCH) categories
	$(BENCH) market
	$(BENCH) market --hours 6 --backlog 6000
	$(BENCH) fairness
	$(BENCH) webhooks

test: venv $(SAM_VENV)/.installed browser ## run every test: unit, integration (moto + sandbox), end-to-end (stack + browser)
	$(PY) -m pytest -n auto tests/unit tests/integration $(PYTEST_ARGS)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

browser: ## install Debian's Chromium for the browser tests (if missing)
	@command -v chromium >/dev/null || { \
	  command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] || { echo "install Chromium (apt-get install chromium) to run the browser tests"; exit 1; }; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; }

lint: venv ## ruff, mypy and the import contract (domain code imports no adapter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared functions local bench tests
	PYTHONPATH=shared $(VENV)/bin/lint-imports --no-logo --no-cache

$(SAM_VENV)/.installed:
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli
	@touch $@

template-check: venv $(SAM_VENV)/.installed ## cfn-lint and sam validate --lint
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --region us-east-1

# Lambda's /opt and /var/task are read-only: without .pyc files in the artifact every cold start
# compiles the whole import graph. unchecked-hash: the bytecode is used whatever the files' times
# after zipping and unzipping.
build: $(SAM_VENV)/.installed ## sam build (needs python3.13, the Lambda runtime), then compile its bytecode
	@py313=$$(.ci/find-python 3.13) || { echo "sam build needs python3.13 (the Lambda runtime)"; exit 1; }; \
	  PATH="$$(dirname $$py313):$$PATH" $(SAM) build && \
	  $$py313 -m compileall -q -j 0 --invalidation-mode unchecked-hash .aws-sam/build >/dev/null

lambda-check: venv build ## run the build like the Lambda runtime: every handler, every event, IAM checked
	PYTHONPATH=shared $(PY) -m local.lambda_check

clean: ## remove build output and caches
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
