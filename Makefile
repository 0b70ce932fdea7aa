# livestack.aws: `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
EMULATOR_PORT ?= 5000
STAMP := $(VENV)/.installed-stamp
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help setup demo emulator test lint sanity pytest bench build clean

help:
	@echo "make demo      converge the whole stack on the local emulator, twice, and summarise it"
	@echo "make test      lint, ansible-test sanity, unit, emulator and integration tests"
	@echo "make emulator  the emulator in the foreground on 127.0.0.1:\$$EMULATOR_PORT ($(EMULATOR_PORT))"
	@echo "make bench     converge timings, API requests per run, modeled AWS time (build/bench.json)"
	@echo "make build     the collection artifact (ansible-galaxy collection build)"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "python3 >= 3.11 is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	mkdir -p .collections/ansible_collections/livestack
	ln -sfn ../../.. .collections/ansible_collections/livestack/aws
	touch $@

setup: $(STAMP)
	@bash tests/tools/system_packages.sh

demo: setup
	$(BIN)/python -m livestack_emulator --port 0 -- $(BIN)/python tests/tools/demo.py

emulator: setup
	$(BIN)/python -m livestack_emulator --port $(EMULATOR_PORT)

test: setup lint sanity pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ansible-lint

sanity: setup
	bash tests/tools/sanity.sh

# A file's tests share an emulator and module fixtures, so they stay on one worker (loadfile; the
# xdist_group marks of loadgroup are silently ignored under pytest 9.2, pytest-dev/pytest-xdist#1386).
pytest: setup
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=15 tests/ || [ $$? -eq 5 ]

bench: setup
	$(BIN)/python tests/tools/bench.py

build: setup
	mkdir -p build
	$(BIN)/ansible-galaxy collection build --force --output-path build

clean:
	rm -rf $(VENV) .collections build .pytest_cache .ruff_cache tests/output
