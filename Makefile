# livestack.aws: `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
# The venv and its requirements: the current Ansible release by default; `make test-prev` reruns part of the
# tests on the release before, in its own venv (make VENV=.venv-prev REQUIREMENTS=requirements-prev.txt ...).
VENV ?= .venv
REQUIREMENTS ?= requirements.txt
BIN := $(CURDIR)/$(VENV)/bin
EMULATOR_PORT ?= 5000
STAMP := $(VENV)/.installed-stamp
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help setup demo emulator test test-prev lint collection-check sanity pytest pytest-prev bench build clean

help:
	@echo "make demo      converge the whole stack on the local emulator, twice, and summarise it"
	@echo "make test      lint, collection checks, ansible-test sanity, unit, emulator and integration tests"
	@echo "make test-prev sanity, unit tests and the whole stack's life on the previous Ansible release (.venv-prev)"
	@echo "make emulator  the emulator in the foreground on 127.0.0.1:\$$EMULATOR_PORT ($(EMULATOR_PORT))"
	@echo "make bench     converge timings, API requests per run, modeled AWS time (build/bench.json)"
	@echo "make build     the collection artifact (ansible-galaxy collection build)"
	@echo "make collection-check  changelog fragments, antsibull-docs lint, galaxy.yml and execution environment checks"

# Python >= 3.12 ($$PYTHON, else python3.12/3.13/3.14 on PATH, else pyenv's): tests/tools/find_python.sh.
$(STAMP): $(REQUIREMENTS) requirements.txt pyproject.toml
	$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || \
	  { python=$$(PYTHON="$(PYTHON)" bash tests/tools/find_python.sh) && rm -rf $(VENV) && "$$python" -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(REQUIREMENTS) -e .
	mkdir -p .collections/ansible_collections/livestack
	ln -sfn ../../.. .collections/ansible_collections/livestack/aws
	touch $@

setup: $(STAMP)
	@bash tests/tools/system_packages.sh

demo: setup
	$(BIN)/python -m livestack_emulator --port 0 -- $(BIN)/python tests/tools/demo.py

emulator: setup
	$(BIN)/python -m livestack_emulator --port $(EMULATOR_PORT)

test: setup lint collection-check sanity pytest

# The release before (requirements-prev.txt), in .venv-prev: sanity, unit tests, the whole stack's life (pytest-prev).
test-prev:
	$(MAKE) VENV=.venv-prev REQUIREMENTS=requirements-prev.txt setup sanity pytest-prev

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ansible-lint

# What a Galaxy artifact needs: changelog fragments, module and role docs as the docsite renders them (the
# venv sits inside this git checkout, so git must not claim its collections: GIT_CEILING_DIRECTORIES), and
# the execution environment's build context.
collection-check: setup
	$(BIN)/antsibull-changelog lint
	GIT_CEILING_DIRECTORIES=$(CURDIR) $(BIN)/antsibull-docs lint-collection-docs --plugin-docs .
	$(BIN)/pytest -q tests/unit/test_packaging.py

sanity: setup
	bash tests/tools/sanity.sh

# A file's tests share an emulator and module fixtures, so they stay on one worker (loadfile; the
# xdist_group marks of loadgroup are silently ignored under pytest 9.2, pytest-dev/pytest-xdist#1386).
pytest: setup
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=15 tests/ || [ $$? -eq 5 ]

# The release before: its sanity, the unit tests and the whole stack's life (the tests of test_stack.py marked
# `life`: check mode, converge, reruns, the data path, posture, teardown; not the faulted stack, which tests the
# emulator's faults rather than Ansible), which keeps both legs inside CI's 90 minutes.
PREV_TESTS ?= tests/unit tests/integration/test_stack.py
pytest-prev: setup
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder -m "life or not long" --durations=10 $(PREV_TESTS)

bench: setup
	$(BIN)/python tests/tools/bench.py

build: setup
	mkdir -p build
	$(BIN)/ansible-galaxy collection build --force --output-path build

clean:
	rm -rf .venv .venv-prev .collections build .pytest_cache .ruff_cache tests/output
