# thidua: `make demo` runs the app on http://127.0.0.1:8000, `make test` passes every test.
# Both install what they need first (idempotent `setup`).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
THIDUA := $(VENV)/bin/thidua
PYTEST_ARGS ?=
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig \
	fonts-noto-core fonts-dejavu-core poppler-utils chromium postgresql nginx-light

.PHONY: help setup system-deps python-deps node-deps couchdb pwa demo serve seed-demo test torture bench lint clean

help:
	@echo "make demo    set up, seed a demo province, serve on http://127.0.0.1:8000"
	@echo "make test    set up and run every test"
	@echo "make bench   run the benchmarks (bench/)"
	@echo "make lint    ruff + mypy (scoring, sync, server, reports)"
	@echo "make torture full-count property tests"

setup: system-deps python-deps node-deps couchdb pwa

system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done; \
		command -v node >/dev/null || echo nodejs; command -v npm >/dev/null || echo npm); \
	missing=$$(echo $$missing); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing system packages: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "Missing system packages: $$missing"; \
			echo "Install them with: sudo apt-get install --no-install-recommends $$missing"; exit 1; \
		fi; \
	fi

python-deps: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(UV) || { python3 -m venv $(VENV) && $(VENV)/bin/pip install -q uv==0.13.9; }
	$(UV) sync --frozen --quiet
	@touch $@

node-deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --omit=optional --no-audit --no-fund --loglevel=error
	@touch $@

# Apache CouchDB 3.5 for the tests (the oracle) and bench/replication.py, built once per machine
# from ../shared/couchdb into a cache folder keyed by the tarball's sha256 (tests/couchdb.py
# finds it the same way). Nothing happens when ../shared/couchdb is absent or the build exists.
COUCHDB_SRC := ../shared/couchdb
COUCHDB_TARBALL := $(COUCHDB_SRC)/couchdb-3.5.0-src-with-deps.tar.gz
COUCHDB_DEBS := erlang-nox erlang-dev erlang-reltool build-essential libicu-dev curl

couchdb:
	@if [ -f $(COUCHDB_TARBALL) ]; then \
		key=$$(sha256sum $(COUCHDB_TARBALL) | cut -c1-16); \
		prefix=$${XDG_CACHE_HOME:-$$HOME/.cache}/thidua/couchdb-$$key; \
		if [ ! -x $$prefix/bin/couchdb ]; then \
			missing=$$(for p in $(COUCHDB_DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
			missing=$$(echo $$missing); \
			if [ -n "$$missing" ]; then \
				if [ "$$(id -u)" = 0 ]; then \
					echo "installing CouchDB build packages: $$missing"; \
					apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
				else \
					echo "CouchDB build needs: sudo apt-get install --no-install-recommends $$missing"; exit 1; \
				fi; \
			fi; \
			echo "building Apache CouchDB into $$prefix (about 65 s)"; \
			rm -rf $$prefix.partial && mkdir -p $$(dirname $$prefix) && \
			$(COUCHDB_SRC)/build.sh $(COUCHDB_TARBALL) $$prefix.partial >$$prefix.build.log 2>&1 \
				|| { tail -30 $$prefix.build.log; exit 1; }; \
			mv $$prefix.partial $$prefix; \
		fi; \
	fi
# The field PWA: pwa/src + pwa/public -> pwa/dist (hashed bundle, Workbox service worker).
pwa: pwa/dist/.built

pwa/dist/.built: node_modules/.installed pwa/build.mjs $(shell find pwa/src pwa/public pwa/js pwa/criteria -type f 2>/dev/null)
	node pwa/build.mjs
	@touch $@

demo: setup
	$(THIDUA) demo

serve: setup
	$(THIDUA) serve

seed-demo: setup
	$(THIDUA) seed-demo

test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS)

torture: setup
	$(PY) -m pytest -q -m torture $(PYTEST_ARGS)

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: python-deps
	$(VENV)/bin/ruff check server sync scoring reports tests bench
	$(VENV)/bin/mypy scoring sync server reports

clean:
	rm -rf $(VENV) node_modules var .pytest_cache pwa/dist
