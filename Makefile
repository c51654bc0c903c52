# Course package tasks. Run from the repo root, which is the nbgrader course root.

ASSIGNMENTS := $(notdir $(wildcard source/[0-9]*))

VENV := .venv
STAMP := $(VENV)/.installed
# nbgrader runs the `alembic` executable from PATH, so the venv's bin goes first.
WITH_VENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"
# Optional: TORCH_INDEX=https://download.pytorch.org/whl/cpu where PyPI would give a CUDA build.
TORCH_INDEX ?=
# Optional: PYTEST_ARGS='-m "not slow"' for the quick subset.
PYTEST_ARGS ?=

.PHONY: install release demo test clean

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --upgrade pip
	$(VENV)/bin/pip install torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(VENV)/bin/pip install -e '.[dev]'
	touch $@

release: $(STAMP)
	for a in $(ASSIGNMENTS); do $(WITH_VENV) nbgrader generate_assignment $$a --force || exit 1; done

demo: $(STAMP) release
	for a in $(ASSIGNMENTS); do $(WITH_VENV) python -m autograder grade --assignment $$a \
		--results demo/results/$$a demo/submitted/*/$$a/$$a.ipynb || exit 1; done

test: $(STAMP)
	$(WITH_VENV) python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf submitted autograded feedback solution gradebook.db exchange results reports
	rm -rf demo/results demo/gradebook.db demo/autograded demo/feedback
	rm -rf $(VENV)
