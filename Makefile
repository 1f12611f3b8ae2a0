# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench install chromium axe clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[sandbox,test]'
	touch $(STAMP)

install: $(STAMP)

chromium:
	@command -v chromium >/dev/null 2>&1 || scripts/install-chromium

# axe-core from the npm registry into the venv, injected by the browser tests (tests/fixtures/browser.py).
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@4
axe: $(AXE)

# PORT: where the app listens (make demo PORT=5001); a second demo in this checkout refuses and changes nothing.
PORT ?= 5000
demo: $(STAMP)
	$(BIN)/lerend-netwerk demo --port $(PORT)

test: $(STAMP) chromium $(AXE)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# Every figure in one table (launch, sync, pages at 1,000 networks, CLI start-up, memory); BENCH_ARGS=--json
# for one JSON object. One benchmark alone: .venv/bin/python -m benchmarks NAME [--help].
bench: $(STAMP)
	$(BIN)/python -m benchmarks all $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
