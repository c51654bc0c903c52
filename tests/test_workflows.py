"""CI workflows: sharded class grading, the student repository, and the workflow files themselves.

The Makefile targets the workflows run are run here for real (``make -o
.venv/.installed`` so make never rebuilds the venv under test).
"""
import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

from autograder.course import gradebook, shard
from conftest import ASSIGNMENT, ENV, REPO
from test_batch import mini_class

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
# What a student repository gets besides requirements-students.txt and release/<A>/.
TEMPLATE = {"README.md", "pruebas_visibles.py", "requirements-pruebas.txt", ".gitignore",
            ".github/workflows/visible-tests.yml"}
STUDENT_WORKFLOWS = sorted((REPO / "student-template" / ".github" / "workflows").glob("*.yml"))
TIMEOUT = 1800  # seconds: grading under a concurrent benchmark is slow


def make(*arguments, check=True):
    """``make`` in the repository, never rebuilding the venv; returns the CompletedProcess (text)."""
    done = subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", *arguments], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=TIMEOUT)
    if check and done.returncode:
        raise AssertionError(f"make {' '.join(arguments)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def autograder(*arguments):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, arguments)], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=TIMEOUT)


def files(folder, pattern="*"):
    """{relative path: bytes} of every file below ``folder`` matching ``pattern``."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob(pattern)) if p.is_file()}


def results(folder):
    """{name: bytes} of the results files in ``folder`` (not the batch's hidden timings log)."""
    return files(folder, "*.json")


# -- sharding ----------------------------------------------------------------------------------------

def test_shards_are_disjoint_cover_the_class_and_are_balanced(tmp_path):
    """Does every student folder land in exactly one shard, the same way on every run?"""
    submitted = tmp_path / "submitted"
    names = ["zoe", "ana", "beto", "Carla", "d i e g o", "elena", "élia", "f-3", "g.h"]
    for name in names:
        (submitted / name / ASSIGNMENT).mkdir(parents=True)
    (submitted / ".ipynb_checkpoints").mkdir()  # not a student, as batch.discover decides
    (submitted / "notes.txt").write_text("not a student")
    for of in (1, 2, 3, 4, 12):
        shards = [[p.name for p in shard.shard(submitted, index, of)] for index in range(of)]
        listed = [name for s in shards for name in s]
        assert sorted(listed) == sorted(names), f"--of {of}: {shards}"
        assert len(set(listed)) == len(listed), f"--of {of}: a student in two shards: {shards}"
        assert max(map(len, shards)) - min(map(len, shards)) <= 1, f"--of {of}: unbalanced {shards}"
        assert shards == [[p.name for p in shard.shard(tmp_path, index, of)] for index in range(of)]  # course root


def test_shard_command_prints_one_folder_a_line(tmp_path):
    for name in ("ana", "d i e g o", "elena"):
        (tmp_path / name).mkdir()
    done = autograder("shard", "--index", 0, "--of", 2, tmp_path)
    assert done.returncode == 0 and done.stdout.splitlines() == [str(tmp_path / "ana"), str(tmp_path / "elena")]


@pytest.mark.parametrize("index, of, message", [
    (2, 2, "--index must be between 0 and 1"),
    (0, 0, "--of must be at least 1"),
    (-1, 2, "--index must be between 0 and 1"),
])
def test_shard_refuses_a_bad_index(tmp_path, index, of, message):
    (tmp_path / "ana").mkdir()
    with pytest.raises(shard.ShardError, match=message):
        shard.shard(tmp_path, index, of)


def test_shard_refuses_a_missing_folder_and_unlistable_names(tmp_path):
    done = autograder("shard", "--index", "0", "--of", "1", tmp_path / "nowhere")
    assert done.returncode == 2 and "error: not a folder" in done.stderr and not done.stdout
    (tmp_path / "ana\nbeto").mkdir()
    with pytest.raises(shard.ShardError, match="line break"):
        shard.shard(tmp_path, 0, 1)


@pytest.mark.slow
def test_sharded_grading_equals_one_shot_grading(tmp_path):
    """grade-shard × 2, gathered, grade-merge: the one-shot gradebook and results, nothing graded again?"""
    submitted = mini_class(tmp_path / "class", extra=[("ana", "ana")]) / "submitted"
    one_shot = autograder("grade", "--assignment", ASSIGNMENT, "--results", tmp_path / "one" / ASSIGNMENT,
                          "--gradebook", tmp_path / "one.db", "--quiet", submitted)
    assert one_shot.returncode == 0, one_shot.stderr

    merged = tmp_path / "merged"
    for index in range(2):
        make("grade-shard", f"ASSIGNMENT={ASSIGNMENT}", f"SHARD={index}", "SHARDS=2", f"SUBMITTED={submitted}",
             f"RESULTS={tmp_path / f'shard{index}'}")
    shard_files = [results(tmp_path / f"shard{index}" / ASSIGNMENT) for index in range(2)]
    assert not set(shard_files[0]) & set(shard_files[1])
    (merged / ASSIGNMENT).mkdir(parents=True)
    for index in range(2):  # what the merge job's download-artifact does
        for path in (tmp_path / f"shard{index}" / ASSIGNMENT).glob("*.json"):
            shutil.copy(path, merged / ASSIGNMENT)
    gathered = results(merged / ASSIGNMENT)

    done = make("grade-merge", f"ASSIGNMENT={ASSIGNMENT}", f"SUBMITTED={submitted}", f"RESULTS={merged}",
                f"GRADEBOOK={tmp_path / 'merged.db'}")
    assert "(0 graded now, 5 unchanged)" in done.stderr, done.stderr
    assert results(merged / ASSIGNMENT) == gathered, "the merge rewrote results files"
    assert gathered == results(tmp_path / "one" / ASSIGNMENT)
    assert gradebook.grade_tuples(tmp_path / "merged.db") == gradebook.grade_tuples(tmp_path / "one.db")
    assert gradebook.late_penalties(tmp_path / "merged.db") == gradebook.late_penalties(tmp_path / "one.db")
    assert {t[0] for t in gradebook.grade_tuples(tmp_path / "merged.db")} >= {"ana", "beto", "carla"}


# -- the student repository --------------------------------------------------------------------------

@pytest.fixture
def student_repo(tmp_path):
    """A student repository for ASSIGNMENT, built by ``make student-template``."""
    repo = tmp_path / "alumno"
    make("student-template", f"ASSIGNMENT={ASSIGNMENT}", f"STUDENT_REPO={repo}")
    return repo


def solution_lines():
    """The statements of the reference solutions' function bodies (docstrings left out), one stripped line each."""
    lines = set()
    for module in (REPO / "solutions").glob("*.py"):
        source = module.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef):
                body = node.body[1:] if ast.get_docstring(node) is not None else node.body
                for statement in body:
                    lines |= {line.strip() for line in ast.get_source_segment(source, statement).splitlines()}
    return {line for line in lines if len(line) >= 30}


def test_student_repository_holds_only_the_release_and_the_template(student_repo):
    """Nothing hidden, no solutions, no grader: exactly release/<A>/ plus the template files?"""
    built = files(student_repo)
    release = {f"{ASSIGNMENT}/{name}": data for name, data in files(REPO / "release" / ASSIGNMENT).items()}
    assert set(built) == set(release) | TEMPLATE | {"requirements-students.txt"}
    assert {name: built[name] for name in release} == release
    code = solution_lines()
    assert code, "no solution statements to look for"
    for name, data in built.items():
        text = data.decode()
        if name.endswith(".ipynb"):
            text = "\n".join(cell.source for cell in nbformat.reads(text, as_version=4).cells)
        for marker in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "autograder", "solutions", "judges", "probes"):
            assert marker not in text, f"{name} holds {marker!r}"
        leaked = {line for line in text.splitlines() if line.strip() in code}
        assert not leaked, f"{name} holds reference solution code: {sorted(leaked)[:3]}"


def test_student_template_refuses_to_overwrite(student_repo):
    before = files(student_repo)
    done = make("student-template", f"ASSIGNMENT={ASSIGNMENT}", f"STUDENT_REPO={student_repo}", check=False)
    assert done.returncode != 0 and "exists and is not empty" in done.stderr
    assert files(student_repo) == before
    done = make("student-template", "ASSIGNMENT=99_nada", f"STUDENT_REPO={student_repo}/otro", check=False)
    assert done.returncode != 0 and "set ASSIGNMENT to one of" in done.stderr


def test_student_requirements_pin_what_the_course_pins():
    pins = dict(line.split("==") for line in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"])
    lines = (REPO / "student-template" / "requirements-pruebas.txt").read_text().splitlines()
    for line in (line for line in lines if line and not line.startswith("#")):
        name, version = line.split("==")
        assert pins[name] == version, f"requirements-pruebas.txt pins {line}, pyproject.toml {name}=={pins[name]}"


@pytest.mark.slow
def test_visible_tests_fail_the_stub_and_pass_the_reference(student_repo):
    """pruebas_visibles.py in the student repository: stub exit 1 naming every test, reference exit 0?"""
    def visible_tests():
        return subprocess.run([sys.executable, "pruebas_visibles.py"], cwd=student_repo, env=ENV, capture_output=True,
                              text=True, timeout=TIMEOUT)

    notebook = student_repo / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    test_ids = [c.metadata.nbgrader.grade_id for c in nbformat.read(notebook, as_version=4).cells
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    stub = visible_tests()
    assert stub.returncode == 1, stub.stdout + stub.stderr
    assert all(f"✗ {grade_id}: una función todavía no está escrita" in stub.stdout for grade_id in test_ids), stub.stdout
    assert f"0 de {len(test_ids)} pruebas visibles pasan" in stub.stdout

    shutil.copy(REPO / "demo" / "submitted" / "ana" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", notebook)
    reference = visible_tests()
    assert reference.returncode == 0, reference.stdout + reference.stderr
    assert f"{len(test_ids)} de {len(test_ids)} pruebas visibles pasan" in reference.stdout


# -- the workflow files ------------------------------------------------------------------------------

def make_targets():
    return set(re.findall(r"^([A-Za-z0-9_.-]+):(?!=)", (REPO / "Makefile").read_text(), re.M))


def references(command):
    """What a ``run:`` step names: ("make", target) and ("file", path)."""
    command = re.sub(r"\$\{\{.*?\}\}", "EXPR", command.replace("\\\n", " "))  # GitHub expressions
    found = []
    for words in re.findall(r"\bmake((?:[ \t]+[^\s;&|)]+)*)", command):
        found += [("make", w) for w in words.split() if not w.startswith("-") and "=" not in w]
    found += [("file", path) for path in re.findall(r"(?<![\w/.:-])((?:\.?[\w-]+/)*[\w-]+\.(?:py|txt|sh))\b", command)]
    found += [("file", path) for path in re.findall(r"\bbash\s+([^\s;&|]+)", command)]
    return found


def steps(path):
    workflow = yaml.safe_load(path.read_text())
    assert workflow.get("name") and workflow.get(True), f"{path.name}: a name and triggers (`on:`)"
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_references_are_found():
    """The checker itself: does it see targets and scripts, and nothing in a URL or an option?"""
    assert references("sudo --preserve-env=$KEEP make grade-shard SHARD=1 SHARDS=2 && make install") == [
        ("make", "grade-shard"), ("make", "install")]
    assert references("make grade-shard SHARD=${{ strategy.job-index }}") == [("make", "grade-shard")]
    assert references('pip install "$(grep x requirements-students.txt)" --index-url https://a.org/whl/cpu') == [
        ("file", "requirements-students.txt")]
    assert references("bash .ci/run") == [("file", ".ci/run")]
    assert references("python pruebas_visibles.py") == [("file", "pruebas_visibles.py")]


@pytest.mark.parametrize("path", WORKFLOWS + STUDENT_WORKFLOWS, ids=lambda p: p.name)
def test_workflow_parses_and_every_run_step_names_what_exists(path, tmp_path):
    """Every `run:` step names a make target or a script or file, and each exists?"""
    if path in STUDENT_WORKFLOWS:  # checked in the repository a student gets
        make("student-template", f"ASSIGNMENT={ASSIGNMENT}", f"STUDENT_REPO={tmp_path}")
        root, targets = tmp_path, set()
    else:
        root, targets = REPO, make_targets()
    for step in steps(path):
        if "uses" in step:
            assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"]), f"{path.name}: unpinned {step['uses']}"
            continue
        found = references(step["run"])
        assert found, f"{path.name}: step {step.get('name')!r} names no make target or script: {step['run']!r}"
        for kind, name in found:
            exists = name in targets if kind == "make" else (root / name).is_file()
            assert exists, f"{path.name}: step {step.get('name')!r} names a missing {kind} {name!r}"
