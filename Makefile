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

reports: $(STAMP) ## Render every sample team's report (HTML and PDF) into reports/ and print the index
	$(BIN)/toolkit report data/samples/salesforce_export --as-of 2025-06-30 --out reports --jobs 2

lint: $(STAMP) ## Check the code with ruff and the types of toolkit/ with mypy (strict)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint ## Lint and type-check, then run the test suite
	$(BIN)/python -m pytest -q

FUZZ_EXAMPLES ?= 1200
FUZZ_SEED     ?= 11
fuzz: $(STAMP) ## Fuzz the loaders: FUZZ_EXAMPLES (1200) mutated sample exports from FUZZ_SEED (about 20 minutes)
	TOOLKIT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) TOOLKIT_FUZZ_SEED=$(FUZZ_SEED) $(BIN)/python -m pytest -q tests/loaders/test_fuzz.py

wheel: $(STAMP) ## Build the wheel into dist/ (notebooks, templates and CSS inside the package)
	$(BIN)/pip wheel . --no-deps -q -w dist

samples: $(STAMP) ## Regenerate data/samples from the seeded generator
	$(BIN)/toolkit samples --out data/samples

bench: $(STAMP) ## Run the benchmarks on 1 million generated deals (ratios to baselines; takes minutes)
	$(BIN)/python benchmarks/bench.py

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache

.PHONY: help venv reports lint test fuzz wheel samples bench clean
