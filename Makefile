# One entry point for dev work. `make run` and `make test` bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: run test lint bench clean system-deps

# Debian packages the tests drive for real (headless browser, an RSS reader, an IMAP server).
SYSTEM_DEPS := chromium:/usr/bin/chromium newsboat:/usr/bin/newsboat dovecot-imapd:/usr/lib/dovecot/imap

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP) $@

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

test: $(TEST_STAMP) system-deps
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check veille tests bench
	$(BIN)/ruff format --check veille tests bench
	$(BIN)/mypy veille

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $(STAMP) $(TEST_STAMP) $@

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
