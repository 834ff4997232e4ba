# Qinqing (亲清): the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEBIAN_PACKAGES := chromium fonts-noto-cjk gettext
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export QINQING_HOME := $(CURDIR)

.PHONY: demo test install install-dev system-deps messages lint serve clean prod-smoke fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed messages
install-dev: $(VENV)/.installed-dev messages

# Debian packages the tests and the charts need; installed only when missing.
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

# English translations of the Chinese UI strings (needs gettext's msgfmt).
messages: system-deps $(VENV)/.installed
	@if ls src/qinqing/locale/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
	  $(BIN)/qinqing compilemessages --ignore '.venv/*' -v 0; fi

demo: install
	mkdir -p var
	$(BIN)/qinqing migrate --no-input -v 0
	$(BIN)/qinqing demo load --if-empty
	$(BIN)/qinqing demo accounts
	@echo "task worker and scheduler log to var/worker.log and var/schedule.log"
	@trap 'kill 0' EXIT INT TERM; \
	$(BIN)/qinqing db_worker >var/worker.log 2>&1 & \
	$(BIN)/qinqing schedule >var/schedule.log 2>&1 & \
	$(BIN)/qinqing serve 127.0.0.1:8000

test: install-dev system-deps
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check src tests bench deploy
	$(BIN)/ruff format --check src tests bench deploy
	$(BIN)/mypy

# The production stack on this machine, configured only by environment variables: a fresh
# PostgreSQL database, Redis databases 13 and 14, moto's S3 server (a dev extra), gunicorn with
# deploy/gunicorn.conf.py, two RQ workers and two schedulers, driven over HTTP
# (deploy/prod_smoke.py; about 4 minutes).
prod-smoke: install install-dev
	$(BIN)/python deploy/prod_smoke.py

# The long API fuzzing run (docs/api.md): schemathesis over every operation as every role,
# with the suite's checks; prints how many calls were made (about 10 minutes).
fuzz: install-dev messages
	mkdir -p var
	QINQING_FUZZ_EXAMPLES=$${QINQING_FUZZ_EXAMPLES:-3} QINQING_FUZZ_ROLES=all \
	  $(BIN)/pytest -q -p no:randomly tests/api/test_fuzz.py
	@cat var/fuzz-last.txt

clean:
	rm -rf $(VENV) var
