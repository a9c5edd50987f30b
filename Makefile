# Two commands set everything up on a fresh Debian/Ubuntu machine with Python 3.11+:
#   make demo   runs the example bots against the bundled demo shop
#   make test   lint, types, import contracts and the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench compare setup chromium xvfb

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) chromium

chromium: $(STAMP)
	@PY=$(PY) bash scripts/ensure-chromium

# the --headed test needs a display: Xvfb gives it one
xvfb:
	@command -v Xvfb >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb >/dev/null; } || \
		echo "Xvfb missing: the --headed test will fail (apt-get install xvfb)" >&2

demo: setup
	$(VENV)/bin/trawler demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: setup xvfb lint
	$(PY) -m pytest

bench: setup
	$(PY) -m bench
	$(PY) -m bench.queue
	$(PY) -m bench.api

# trawler beside bare Playwright/httpx, Crawlee and Scrapy (bench-only dependencies)
compare: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[compare]'
	$(PY) -m bench.compare --repeat 3
