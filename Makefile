# Medspa — every target sets itself up from the lock files first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
NODE_STAMP := node_modules/.installed-$(shell cksum < package-lock.json | cut -d' ' -f1)
export DJANGO_SETTINGS_MODULE := medspa.settings

.PHONY: run test lint bench demo setup assets lock clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*; touch $@

$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-*; touch $@

assets: $(NODE_STAMP)
	npm run --silent build

setup: $(STAMP) assets

run: setup
	$(BIN)/medspa migrate --noinput
	$(BIN)/medspa demo --if-empty
	$(BIN)/medspa serve

demo: setup
	$(BIN)/medspa migrate --noinput
	$(BIN)/medspa demo

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/medspa check
	$(BIN)/medspa makemigrations --check --dry-run
	$(BIN)/lint-imports --no-cache
	$(BIN)/bandit -c pyproject.toml -r medspa -ll -q
	$(BIN)/python .ci/audit-deps

bench: setup
	@for script in bench/*.py; do \
		case $$script in bench/_*) continue;; esac; \
		echo "# $$script" >&2; $(BIN)/python $$script || exit 1; \
	done

# Re-resolve the Python lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) node_modules medspa/static/dist
