# The two quick-start commands: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
# The suite on parallel workers (pytest-xdist): most of its time is servers, browsers and
# sandboxes answering, so three workers keep this 2-core machine's cores busy; each worker
# has its own sandbox, console, browser and PostgreSQL server. XDIST= runs it in one process.
XDIST ?= -n 3 --dist loadgroup
PORT ?= 8501
TEAM_PORT ?= 8080

.PHONY: run test test-fast screenshots bench bench-quick lint sandbox team clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) -m "not e2e and not slow and not quickstart and not bench" $(PYTEST_ARGS)

screenshots: $(STAMP)
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run.py

bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --quick

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

sandbox: $(STAMP)
	$(BIN)/envoy-sandbox --port 8787

# The team deployment on this machine, no containers: HAProxy (deploy/haproxy.cfg), three
# replicas (deploy/start-console), PostgreSQL, the sandbox and a sign-in provider; Ctrl-C stops it.
team: $(STAMP)
	$(BIN)/python -m deploy.team --port $(TEAM_PORT)

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
