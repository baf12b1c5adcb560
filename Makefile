# Two entry points on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# PyTorch is installed first and pinned, so that pip never replaces it by a CUDA build on a
# CPU machine. Elsewhere set TORCH_INDEX (e.g. https://download.pytorch.org/whl/cpu) or TORCH.
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
BACKENDS ?= tensorflow pytorch
# on the first backend the test files spread over one pytest-xdist worker per core (a file's
# tests share a worker, so its module fixtures are built once); TEST_WORKERS=0 runs them in
# this process. The other backends' network tests run in this process: PyTorch's OpenMP
# threads in two workers and a notebook kernel made them over ten times slower
TEST_WORKERS ?= auto
PYTEST_ARGS ?=

.PHONY: demo test lint docs bench clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel setuptools
	$(BIN)/python -m pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[tensorflow,pytorch,test,docs,cluster]"
	touch $@

demo: $(BIN)/.installed
	$(BIN)/pinn-inverse info
	$(BIN)/pinn-inverse run eeg --quick --out results/eeg

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

docs: $(BIN)/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# The whole suite on the first backend; on the others only the tests marked `network` (they
# build a network or use backend tensors): the rest do not depend on the backend.
test: lint docs
	@first=1; for backend in $(BACKENDS); do \
		if [ $$first = 1 ]; then select="-n $(TEST_WORKERS) --dist loadfile"; what="every test"; \
		else select="-m network"; what="the network tests"; fi; \
		echo "=== pytest on the $$backend backend: $$what ==="; \
		DDE_BACKEND=$$backend $(BIN)/python -m pytest $$select $(PYTEST_ARGS) || exit 1; \
		first=0; \
	done

bench: $(BIN)/.installed
	@for script in benchmarks/*.py; do \
		echo "=== $$script ==="; $(BIN)/python $$script || exit 1; \
	done

clean:
	rm -rf $(VENV) site results .pytest_cache
