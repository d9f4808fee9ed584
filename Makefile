# One entry point for dev work. `make run` and `make test` bootstrap .venv on a fresh machine,
# from the lock files in requirements/ (exact versions, every file checked against its hash);
# `make lock` writes them again from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# The Matrix homeserver the tests start on loopback (Synapse): a venv of its own, never one of
# veille's dependencies (tests/matrix_support.py finds it there).
SYNAPSE_VENV := .venv-synapse
SYNAPSE_STAMP := $(SYNAPSE_VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench

# The tool that writes the lock files (uv: one wheel, resolves for every platform at once).
UV_VERSION := 0.13.9
UV_COMPILE := pip compile --generate-hashes --universal --python-version 3.11 --quiet \
	--custom-compile-command "make lock"

.PHONY: run test lint bench clean system-deps lock

# Debian packages the tests drive for real (headless browser, an RSS reader, an IMAP server).
SYSTEM_DEPS := chromium:/usr/bin/chromium newsboat:/usr/bin/newsboat dovecot-imapd:/usr/lib/dovecot/imap

# pip itself comes from the lock (requirements/build.txt), never "the newest one".
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r requirements/build.txt

# The locked packages, then veille itself without resolving anything more (built by the locked
# setuptools: no build isolation, which would fetch the newest one).
$(STAMP): pyproject.toml requirements/build.txt requirements/runtime.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/build.txt -r requirements/runtime.txt
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(TEST_STAMP): pyproject.toml requirements/build.txt requirements/test.txt requirements/greader-client.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/build.txt -r requirements/test.txt
	$(BIN)/pip install -q --require-hashes --ignore-requires-python -r requirements/greader-client.txt
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP) $@

$(SYNAPSE_STAMP): requirements/synapse.txt
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/pip install -q --require-hashes -r requirements/build.txt
	$(SYNAPSE_VENV)/bin/pip install -q --require-hashes -r requirements/synapse.txt
	touch $@

run: $(STAMP)
	@test -f feeds.yaml || { echo "feeds.yaml introuvable"; exit 2; }
	$(BIN)/veille serve

system-deps:
	@missing=""; for dep in $(SYSTEM_DEPS); do \
	  test -x "$${dep#*:}" || missing="$$missing $${dep%%:*}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installation des paquets Debian :$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi; \
	fi

# Two test processes (pytest-xdist), each taking whole modules (--dist loadfile: a module's
# Chromium, Synapse or live server starts once, its tests keep their order): the end-to-end
# tests spend much of their time waiting on processes and servers, which the other process
# fills. Every test isolates itself (own port, temporary folder, PostgreSQL schema).
# `make test TEST_WORKERS=0`: one process.
TEST_WORKERS ?= 2

test: $(TEST_STAMP) $(SYNAPSE_STAMP) system-deps
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check veille tests bench
	$(BIN)/ruff format --check veille tests bench
	$(BIN)/mypy veille
	$(BIN)/lint-imports  # the layer rules of docs/ARCHITECTURE.md ([tool.importlinter])

# The bench extras are pinned in pyproject.toml (a measurement names its versions), not locked.
$(BENCH_STAMP): $(TEST_STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Writes requirements/*.txt from pyproject.toml (needs the package index, as `pip install`).
# The versions already locked are kept when they still fit; `make lock UPGRADE=1` takes the
# newest that fit. Run it after any change to the dependencies in pyproject.toml.
lock: | $(BIN)/python
	$(BIN)/pip install -q uv==$(UV_VERSION)
	$(BIN)/uv $(UV_COMPILE) $(if $(UPGRADE),--upgrade) pyproject.toml --extra postgresql \
	  -o requirements/runtime.txt
	$(BIN)/uv $(UV_COMPILE) $(if $(UPGRADE),--upgrade) pyproject.toml --extra postgresql \
	  --extra test -c requirements/runtime.txt -o requirements/test.txt
	$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], "pip", sep="\n")' \
	  | $(BIN)/uv $(UV_COMPILE) $(if $(UPGRADE),--upgrade) - -c requirements/test.txt -o requirements/build.txt
	$(BIN)/uv $(UV_COMPILE) $(if $(UPGRADE),--upgrade) requirements/synapse.in -o requirements/synapse.txt
	$(BIN)/uv $(subst 3.11,3.12,$(UV_COMPILE)) $(if $(UPGRADE),--upgrade) requirements/greader-client.in \
	  -c requirements/test.txt -o requirements/greader-client.txt

clean:
	rm -rf $(VENV) $(SYNAPSE_VENV) .pytest_cache .mypy_cache .ruff_cache
