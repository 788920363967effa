# The two commands: `make up` (run it) and `make test` (test it). Both set up everything they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
EMULATOR_VENV := .venv-emulator
PY := $(VENV)/bin/python

.PHONY: setup up down status test test-unit test-components test-e2e bench lint clean

setup: $(VENV)/.installed $(EMULATOR_VENV)/.installed

# The project's virtualenv; refreshed whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# The emulator's virtualenv plays the Lambda Python runtime: boto3 only, because MiniStack runs
# handlers with this interpreter. MiniStack itself (it pins botocore exactly) goes into a --target
# folder that only its launcher puts on sys.path (see localcloud/emulator.py).
$(EMULATOR_VENV)/.installed: emulator-requirements.txt
	rm -rf $(EMULATOR_VENV)
	$(PYTHON) -m venv $(EMULATOR_VENV)
	$(EMULATOR_VENV)/bin/pip install --quiet --disable-pip-version-check boto3
	$(EMULATOR_VENV)/bin/pip install --quiet --disable-pip-version-check --no-warn-conflicts --target $(EMULATOR_VENV)/ministack \
		-r emulator-requirements.txt
	touch $@

up: setup
	$(PY) -m localcloud up

down:
	@if [ -x $(PY) ]; then $(PY) -m localcloud down; else echo "nothing to stop"; fi

status: setup
	$(PY) -m localcloud status

test: setup
	$(PY) -m pytest

test-unit: setup
	$(PY) -m pytest tests/unit tests/components

test-e2e: setup
	$(PY) -m pytest tests/e2e

bench: setup
	@for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy

clean: down
	rm -rf $(VENV) $(EMULATOR_VENV) .build .localcloud
