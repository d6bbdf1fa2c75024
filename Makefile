# The two commands of the README:
#   make demo   set up, build the example corpus, fine-tune the tiny model on it
#   make test   set up, run the tests
# Set-up makes .venv with CPU torch (pinned: an unpinned torch pulls GBs of CUDA
# packages); override TORCH for a GPU machine, e.g. `make demo TORCH=torch`.
# For development:
#   make test-fast   the tests not marked slow (about a minute; the full run takes several)
#   make test-light  the tests in a second venv, .venv-light, with no extras (`pip install -e .[dev]`):
#                    what needs torch, pyarrow, ray... must skip, nothing may fail

PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.curate-installed
LIGHT_VENV ?= .venv-light
LIGHT_BIN := $(LIGHT_VENV)/bin
LIGHT_STAMP := $(LIGHT_VENV)/.curate-installed
# Modules of the extras that must be missing from the light venv, or its run proves nothing.
EXTRAS_MODULES := torch pyarrow ray transformers sklearn trafilatura matplotlib
LIGHT_CHECK := import importlib.util as u, sys; venv, *mods = sys.argv[1:]; found = [m for m in mods if u.find_spec(m)]; \
sys.exit(f"{venv} has {found}, which only extras may install: if a core dependency pulls one in, make that \
dependency an extra; otherwise rm -rf {venv} and run make test-light again" if found else 0)

export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test test-fast test-light lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[all,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m curate.train.tiny out/tiny-llama
	$(BIN)/curate build --config examples/curate.toml --train examples/train-tiny.toml

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

$(LIGHT_STAMP): pyproject.toml
	$(PYTHON) -m venv $(LIGHT_VENV)
	$(LIGHT_BIN)/python -m pip install -q --upgrade pip setuptools wheel
	$(LIGHT_BIN)/python -m pip install -q -e ".[dev]"
	touch $(LIGHT_STAMP)

test-light: $(LIGHT_STAMP)
	@$(LIGHT_BIN)/python -c '$(LIGHT_CHECK)' $(LIGHT_VENV) $(EXTRAS_MODULES)
	$(LIGHT_BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check curate plugins train tests bench
	$(BIN)/ruff format --check curate plugins train tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/import_throughput.py

clean:
	rm -rf out .pytest_cache
