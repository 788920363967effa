# The two commands: `make up` (run it) and `make test` (test it). Both set up everything they need.
# They use the package's own console script, `serverless-patterns`, as any user of the package does.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/serverless-patterns

.PHONY: setup up down status test test-unit test-components test-e2e bench lint clean

# The project's virtualenv, then the emulator's (MiniStack pinned in localcloud/emulator-requirements.txt,
# in its own virtualenv in the user cache, built once per MiniStack version: localcloud/provision.py).
setup: $(VENV)/.installed
	@$(CLI) setup

# The project's virtualenv; refreshed whenever pyproject.toml changes. Without compiling bytecode up front
# (about 30 s of a 70 s install): Python compiles each module the first time it is imported, once.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-compile -e '.[dev]'
	touch $@

up: setup
	$(CLI) up --demo

down:
	@if [ -x $(CLI) ]; then $(CLI) down; else echo "nothing to stop"; fi

status: setup
	$(CLI) status

test: setup
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder

test-unit: setup
	$(PY) -m pytest tests/unit tests/components

test-e2e: setup
	$(PY) -m pytest tests/e2e

bench: setup
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy

# The emulator's virtualenv is shared by every project of the user; `serverless-patterns status` shows where.
clean: down
	rm -rf $(VENV) .build .localcloud
