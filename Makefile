# The two commands of the README: `make run` and `make test`. Both set up .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint contracts install bench clean deps-system lock lock-check

# The venv is built from the hashed lock alone. The lock is complete (compiled with every dependency
# and extra), so pip must never resolve anything: --no-deps installs exactly its pins, whatever pip
# `venv` ships. Without it, pip 23.x re-resolves extras such as litellm's httpx[http2] against the
# index and takes a release newer than the lock (then refuses it under --require-hashes). `pip check`
# afterwards proves the pinned set is consistent; `make lock-check` proves it matches pyproject.toml.
$(STAMP): requirements/lock.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements/lock.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $(STAMP)

install: $(STAMP)

## Start Switchboard on its embedded defaults and open the dashboard (simulated providers and a demo
## workload when no provider key is set; quitting the dashboard stops what it started).
run: $(STAMP)
	@$(VENV)/bin/python -m daemon.cli.run_local

lint: $(STAMP)
	$(VENV)/bin/ruff check .

contracts: $(STAMP)
	$(VENV)/bin/lint-imports

## The lock agrees with pyproject.toml, lint, import contracts, then the whole suite.
test: lock-check lint contracts deps-system mcp-inspector coding-agents
	$(PY) -m pytest

## Fails when requirements/lock.txt and pyproject.toml disagree (a dependency added to one only).
lock-check:
	$(PYTHON) requirements/check_lock.py

## Regenerate requirements/lock.txt from pyproject.toml with a pinned, hashed uv (needs PyPI).
LOCK_TOOLS := .cache/lock-tools
lock:
	test -x $(LOCK_TOOLS)/bin/uv || { $(PYTHON) -m venv $(LOCK_TOOLS) && \
		$(LOCK_TOOLS)/bin/python -m pip install --quiet --no-deps --require-hashes -r requirements/lock-tools.txt; }
	$(LOCK_TOOLS)/bin/uv pip compile --quiet pyproject.toml --extra test --generate-hashes --python-version 3.11 \
		--index-url https://pypi.org/simple -o requirements/lock.txt
	$(PYTHON) requirements/check_lock.py

bench: $(STAMP)
	$(PY) bench/gateway_overhead.py
	$(PY) bench/routing_quality.py
	$(PY) bench/decision_speed.py
	$(PY) bench/router_smoke.py
	$(PY) bench/lsp_latency.py

## System packages the end-to-end tests drive, installed only when missing: headless Neovim and Emacs 28
## with eglot (Debian's elpa-eglot) for the LSP tests, Debian's Chromium to open the HTML report (`switchboard report --html`) in a real browser.
deps-system:
	@command -v nvim >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		{ SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim; } \
		|| echo "neovim not installed (no apt-get): the Neovim LSP test will be skipped"; }
	@command -v emacs >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		{ SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq emacs-nox elpa-eglot; } \
		|| echo "emacs not installed (no apt-get): the Emacs LSP test will be skipped"; }
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
		{ SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		|| echo "chromium not installed (no apt-get): the HTML report's browser test will be skipped"; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# The MCP Inspector CLI, a client written by others that tests/e2e/test_mcp_inspector.py drives;
# installed into a project-local dir when missing. Without npm the test is skipped and says why.
MCP_INSPECTOR_VERSION := 2.12.0
MCP_INSPECTOR := .cache/npm/node_modules/.bin/mcp-inspector

.PHONY: mcp-inspector
mcp-inspector:
	@if ! command -v npm >/dev/null 2>&1; then echo "npm not found: the MCP Inspector test will be skipped"; \
	elif [ ! -x $(MCP_INSPECTOR) ]; then \
		npm install --prefix .cache/npm --no-audit --no-fund --silent @modelcontextprotocol/inspector@$(MCP_INSPECTOR_VERSION); fi

# The coding agents tests/e2e/test_coding_agents.py drives end to end against a daemon on the simulated
# providers: the Claude Code CLI and the Codex CLI, pinned, installed into the same project-local dir when
# missing (or at another version than the pin). Without npm those tests are skipped and say why.
CLAUDE_CODE_VERSION := 2.1.332
CODEX_VERSION := 0.171.0
NPM_MODULES := .cache/npm/node_modules

.PHONY: coding-agents
coding-agents:
	@if ! command -v npm >/dev/null 2>&1; then echo "npm not found: the Claude Code and Codex tests will be skipped"; \
	else for pin in @anthropic-ai/claude-code@$(CLAUDE_CODE_VERSION) @openai/codex@$(CODEX_VERSION); do \
		name=$${pin%@*}; want=$${pin##*@}; \
		have=$$(node -p "require('./$(NPM_MODULES)/$$name/package.json').version" 2>/dev/null); \
		[ "$$have" = "$$want" ] || npm install --prefix .cache/npm --no-audit --no-fund --silent --save-exact $$pin || exit 1; \
	done; fi
