# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test bench check diagrams lint clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

## make run: install, compile the bundled decks into the default collection, start the app
run: $(STAMP)
	$(VENV)/bin/calcideck build decks/

## make test: install with the test extra and run the whole suite offscreen
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

## make bench: performance benchmarks (not part of make test); figures go in docs/benchmarks.md
bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,bench]"
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest tests/benchmarks -s -p no:cacheprovider -o norecursedirs=

## make check: validate the bundled decks
check: $(STAMP)
	$(VENV)/bin/calcideck check decks/

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info

## make diagrams: render resources/diagrams/*.svg to decks/images/*.png with Qt
diagrams: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) tools/render_diagrams.py

## make lint: ruff and mypy (strict) on the non-GUI packages
lint: $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,dev]"
	$(PY) -m ruff check calcideck tests tools
	$(PY) -m mypy calcideck
