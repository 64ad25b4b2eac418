# Every target sets up what it needs: a virtual environment in .venv with the toolkit installed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the toolkit with its test dependencies

reports: $(STAMP) ## Run the main job on the sample data (load and summarise every sample export)
	@for d in data/samples/*/; do echo "== $$d"; $(BIN)/toolkit load "$$d" || exit 1; echo; done

test: $(STAMP) ## Run the test suite
	$(BIN)/python -m pytest -q

samples: $(STAMP) ## Regenerate data/samples from the seeded generator
	$(BIN)/toolkit samples --out data/samples

bench: $(STAMP) ## Run the benchmarks (1 million deals; takes minutes)
	$(BIN)/python benchmarks/bench_load.py

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache

.PHONY: help venv reports test samples bench clean
