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
# pytest-xdist workers for `make test` (TEST_WORKERS=0: one process); tests/conftest.py says what runs apart.
TEST_WORKERS ?= 2

# Grading a class in shards, as .github/workflows/grade-class.yml does (docs/ci.md).
ASSIGNMENT ?=
SUBMITTED ?= submitted
RESULTS ?= results
GRADEBOOK ?= gradebook.db
REPORT ?= reports
SHARDS ?= 2
SHARD ?= 0
# The CI workflows refuse to grade without bubblewrap; SANDBOX=auto grades unsandboxed, with a warning.
SANDBOX ?= required
# A student repository: release/$(ASSIGNMENT)/ plus student-template/ (docs/ci.md).
STUDENT_REPO ?= student-repos/$(ASSIGNMENT)
# The quick part of the course self-check: release drift, solutions in sync, every grader's
# reference / stub / known-wrong submissions (the whole check is `bash .ci/run`).
SELFCHECK_TESTS := tests/test_release.py tests/test_solutions_sync.py $(wildcard tests/test_*graders.py)

.PHONY: install release demo test selfcheck assignment-given grade-shard grade-merge report grade-sharded student-template clean

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
	$(WITH_VENV) python -m autograder grade $(foreach a,$(ASSIGNMENTS),--assignment $(a)) \
		--results demo/results demo/submitted

test: $(STAMP)
	$(WITH_VENV) python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

selfcheck: $(STAMP)
	$(WITH_VENV) python -m pytest -m "not slow" $(SELFCHECK_TESTS)

assignment-given:
	@test -n "$(ASSIGNMENT)" -a -d "source/$(ASSIGNMENT)" || \
		{ echo "error: set ASSIGNMENT to one of: $(ASSIGNMENTS)" >&2; exit 2; }

# One shard's share of $(SUBMITTED), graded into $(RESULTS)/$(ASSIGNMENT)/ (no gradebook); a shard may hold
# only students who did not submit (--allow-empty): grade-merge checks the class as a whole.
grade-shard: $(STAMP) assignment-given
	@export PATH="$(CURDIR)/$(VENV)/bin:$$PATH"; \
	folders=$$(python -m autograder shard --index $(SHARD) --of $(SHARDS) "$(SUBMITTED)") || exit 2; \
	if [ -z "$$folders" ]; then echo "shard $(SHARD) of $(SHARDS): no students"; exit 0; fi; \
	printf '%s\n' "$$folders" | tr '\n' '\0' | xargs -0 python -m autograder grade --assignment $(ASSIGNMENT) \
		--results "$(RESULTS)/$(ASSIGNMENT)" --jobs 0 --quiet --allow-empty --sandbox $(SANDBOX)

# The shards' results files, gathered in $(RESULTS)/$(ASSIGNMENT)/, recorded into $(GRADEBOOK):
# current results are not graded again; missing or error ones are.
grade-merge: $(STAMP) assignment-given
	$(WITH_VENV) python -m autograder grade --assignment $(ASSIGNMENT) --results "$(RESULTS)/$(ASSIGNMENT)" \
		--gradebook "$(GRADEBOOK)" --jobs 0 --quiet --sandbox $(SANDBOX) "$(SUBMITTED)"

report: $(STAMP)
	$(WITH_VENV) python -m autograder report --results "$(RESULTS)" --out "$(REPORT)" --gradebook "$(GRADEBOOK)"

# grade-class.yml on one machine: each shard into its own folder, gathered, merged, reported.
# The sub-makes take the venv as checked (-o $(STAMP)): make does not pass -o on by itself.
grade-sharded: $(STAMP) assignment-given
	@shards=$$(mktemp -d) && trap 'rm -rf "$$shards"' EXIT && \
	for i in $$(seq 0 $$(($(SHARDS) - 1))); do \
		$(MAKE) --no-print-directory -o $(STAMP) grade-shard SHARD=$$i RESULTS="$$shards/$$i" || \
			echo "shard $$i failed: the merge grades what it left"; \
		mkdir -p "$(RESULTS)/$(ASSIGNMENT)"; \
		if [ -d "$$shards/$$i/$(ASSIGNMENT)" ]; then cp "$$shards/$$i/$(ASSIGNMENT)"/*.json "$(RESULTS)/$(ASSIGNMENT)/"; fi; \
	done
	$(MAKE) --no-print-directory -o $(STAMP) grade-merge
	$(MAKE) --no-print-directory -o $(STAMP) report

# Never source/, solutions/ or autograder/: only the release and the template.
student-template: assignment-given
	@if [ -e "$(STUDENT_REPO)" ] && [ -n "$$(ls -A "$(STUDENT_REPO)")" ]; then \
		echo "error: $(STUDENT_REPO) exists and is not empty; remove it or set STUDENT_REPO" >&2; exit 2; fi
	mkdir -p "$(STUDENT_REPO)"
	cp -R student-template/. "$(STUDENT_REPO)/"
	cp requirements-students.txt "$(STUDENT_REPO)/"
	tar -C release --exclude=__pycache__ --exclude=.ipynb_checkpoints -cf - $(ASSIGNMENT) | tar -C "$(STUDENT_REPO)" -xf -
	@echo "student repository in $(STUDENT_REPO): commit it as a new repository"

clean:
	rm -rf submitted autograded feedback solution gradebook.db exchange results reports
	rm -rf demo/results demo/gradebook.db demo/autograded demo/feedback
	rm -rf $(VENV)
