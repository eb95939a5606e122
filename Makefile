# The README's two commands, `make demo` and `make test`, each set everything up on their own.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint typecheck pytest bench screenshots sample-data clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/aitoearn-lab demo

test: install lint typecheck pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m benchmarks

screenshots: install
	AITOEARN_LAB_SCREENSHOTS=docs/images $(BIN)/python -m pytest tests/system/test_browser.py -q -p no:cacheprovider

sample-data: install
	$(BIN)/python -m aitoearn_lab.simulator.sample data/sample_tasks.jsonl

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache reports
