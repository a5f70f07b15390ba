# The one entry point: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every dependency at the version last tested (make lock updates it; docs/deployment.md).
LOCK := requirements.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
DEMO_DIR := var/demo
DEMO_PEOPLE ?= 3000
DEMO_SEED ?= 7

.PHONY: lock demo test lint typecheck unit assets browser neo4j-build neo4j bench bench-frontdoor clean
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# Resolve every dependency afresh within pyproject.toml's bounds, then install and test
# what was resolved; commit requirements.lock only when make test passes.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --upgrade \
		--quiet -o $(LOCK)
	$(MAKE) test

viz/static/vendor/.done: tools/vendor_assets.py $(STAMP)
	$(BIN)/python tools/vendor_assets.py
	touch $@

assets: viz/static/vendor/.done

# Browser tests drive Debian's Chromium; Playwright's own browser download does not work here.
/usr/bin/chromium:
	$(SUDO) apt-get install -y -q chromium chromium-driver \
		|| ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver)

browser: /usr/bin/chromium

# Maven fetches the Neo4j Community jars into ~/.m2 the first time; later builds reuse them.
tools/neo4j/target/classpath.txt: tools/neo4j/pom.xml tools/neo4j/src/main/java/famgraph/Neo4jLauncher.java
	cd tools/neo4j && mvn -q -B package -DskipTests
	touch $@

neo4j-build: tools/neo4j/target/classpath.txt

# A Neo4j for local use: Bolt on 127.0.0.1:7687, user neo4j, password famgraph-dev.
neo4j: $(STAMP) neo4j-build
	$(BIN)/python -m tools.neo4j.launcher --port 7687 --data var/neo4j

lint: $(STAMP)
	$(BIN)/ruff check graph loaders server viz tests tools bench

typecheck: $(STAMP)
	$(BIN)/mypy

# One worker per core (TEST_WORKERS=1 for one), each with its own Neo4j; a file's tests stay
# together so its module fixtures are built once.
unit: $(STAMP) assets browser neo4j-build
	$(BIN)/python -m pytest -q -n $(or $(TEST_WORKERS),auto) --dist loadfile

test: lint typecheck unit

demo: $(STAMP) assets
	rm -rf $(DEMO_DIR)
	$(BIN)/famgraph generate --out $(DEMO_DIR)/borough --people $(DEMO_PEOPLE) --seed $(DEMO_SEED)
	# The loaders detect each system folder's format and pass over truth/ and demo.json.
	$(BIN)/famgraph load --store $(DEMO_DIR)/store $(DEMO_DIR)/borough
	$(BIN)/famgraph serve --store $(DEMO_DIR)/store --mode demo \
		--demo-person $$($(BIN)/famgraph demo-person --store $(DEMO_DIR)/store --borough $(DEMO_DIR)/borough)

bench: $(STAMP)
	$(BIN)/python -m bench

# The load generator for the front-door benchmark (Debian's wrk).
/usr/bin/wrk:
	$(SUDO) apt-get install -y -q wrk || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q wrk)

# The front-door query at 8 connections beside a plain JSON endpoint (100,000 people by
# default; BENCH_STORE=DIR keeps the built store for later runs).
bench-frontdoor: $(STAMP) /usr/bin/wrk
	$(BIN)/python -m bench.frontdoor --people $(or $(BENCH_PEOPLE),100000) \
		$(if $(BENCH_STORE),--store $(BENCH_STORE))

clean:
	rm -rf $(VENV) var viz/static/vendor .pytest_cache .mypy_cache .ruff_cache
