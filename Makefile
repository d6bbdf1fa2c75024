# The two commands of the README:
#   make demo   set up, build the example corpus, fine-tune the tiny model on it
#   make test   set up, run the tests
# Set-up makes .venv with CPU torch (pinned: an unpinned torch pulls GBs of CUDA
# packages); override TORCH for a GPU machine, e.g. `make demo TORCH=torch`.

PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.curate-installed

export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup demo test lint bench clean

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

lint: $(STAMP)
	$(BIN)/ruff check curate plugins train tests bench
	$(BIN)/ruff format --check curate plugins train tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/import_throughput.py

clean:
	rm -rf out .pytest_cache
