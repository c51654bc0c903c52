"""``python -m autograder new NN_name --functions f g``: the files of a new assignment, to be filled in.

It sits in ``autograder.course``, the instructor's layer beside batch grading and
reports: it writes course files from this layer's templates, and nothing that runs
while grading (``checks``, ``engine``, probes, judges) imports it. For ``NN_name``
it writes, refusing before writing anything if the name is malformed or a target
exists:

- ``source/NN_name/NN_name.ipynb``: the Spanish master notebook: a title, the locked
  ``setup`` cell, per function an explanation, ``sol_<f>`` (signature and docstring,
  a solution region) and ``test_<f>`` (points, a visible check, the hidden ``check``),
  then the written question and its ``respuesta_<name>`` cell;
- ``autograder/probes/name.py`` and ``autograder/judges/name.py``: one stub per item;
  each item scores 0 saying its grader is not ready until its judge is written;
- ``solutions/name.py``: the solution cells' functions; ``tests/mutants/name.py``: the
  catalogue, its mistakes left to write;
- ``demo/submitted/<student>/NN_name/NN_name.ipynb`` for every demo student: the
  student's notebook as ``nbgrader generate_assignment`` writes it.
"""
import keyword
import re
from pathlib import Path

import jinja2
import nbformat

from autograder import assignments
from autograder.course import gradebook

NAME = re.compile(r"\d{2}_[a-z][a-z0-9_]*")
FUNCTION = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Names the notebook's setup and hidden cells, or the scaffolded modules, already bind.
RESERVED = frozenset({"check", "judging", "np", "probing", "torch"})
TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("autograder.course", "templates"),
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                               undefined=jinja2.StrictUndefined)
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

SETUP = "import numpy as np\nimport torch"
SIGNATURE = '''def {function}(x):
    """TODO(autor): qué calcula {function}, en una frase.

    x: array float64 de forma (n,)  ->  array float64 de forma (n,).
    """
'''
BODY = "    raise NotImplementedError()"
SOLUTION = f"    ### BEGIN SOLUTION\n{BODY}\n    ### END SOLUTION"
VISIBLE_TEST = '''# Pruebas visibles de {function}. TODO(autor): comprueba tipo, forma y valores, con mensajes en español.
x = np.arange(3.0)
resultado = {function}(x)
assert resultado is not None, "{function}: no devuelve nada; ¿falta el return?"
print("{function}: pruebas visibles superadas")

### BEGIN HIDDEN TESTS
from autograder.kernel import check
check("{assignment}", "test_{function}", globals())
### END HIDDEN TESTS'''
TITLE = """# {title}

TODO(autor): de qué trata la tarea, qué parte de los apuntes sigue y qué vas a programar.

Escribe cada función en su celda de solución, en lugar de `raise NotImplementedError()`, y ejecuta
la celda de pruebas que la sigue. Al calificar, las mismas celdas comprueban además tu código con
otros datos."""
EXPLANATION = """## {number}. `{function}`

TODO(autor): qué calcula `{function}`, con su fórmula y las formas de sus argumentos y de su resultado."""
QUESTION = """### Pregunta ({points} {unit}, se califica a mano)

TODO(autor): la pregunta. Escribe tu respuesta en la celda siguiente."""
ANSWER = """### BEGIN SOLUTION
TODO(autor): la respuesta esperada y lo que debe contener para la nota completa.
### END SOLUTION"""


class ScaffoldError(Exception):
    """The assignment cannot be scaffolded; the message is one sentence for the instructor."""


def create(assignment, functions, points=None, answer_points=2, root=assignments.REPO):
    """Write the new assignment's files under ``root``; returns their paths, relative to ``root``."""
    points = [whole(p) for p in points or [1] * len(functions)]
    answer_points = whole(answer_points)
    check_arguments(assignment, functions, points, answer_points)
    master = master_notebook(assignment, functions, points, answer_points)
    files = {**modules(assignment, functions), **demo_notebooks(assignment, gradebook.student_version(master, gradebook.course_config(root)), root)}
    files[Path("source", assignment, f"{assignment}.ipynb")] = nbformat.writes(master) + "\n"
    check_free(assignment, files, root)
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return sorted(files)


def whole(points):
    """``points`` as an int when it is a whole number (nbgrader and the question's text show 2, not 2.0)."""
    return int(points) if float(points).is_integer() else points


def check_arguments(assignment, functions, points, answer_points):
    """Raise ``ScaffoldError`` unless the name, the functions and the points are well formed."""
    if not NAME.fullmatch(assignment) or keyword.iskeyword(assignments.module_name(assignment)):
        raise ScaffoldError(f"{assignment!r} is not NN_name (two digits, '_', then lowercase letters, digits and '_'; "
                            "not a Python keyword)")
    for function in functions:
        if not FUNCTION.fullmatch(function) or keyword.iskeyword(function) or function in RESERVED:
            raise ScaffoldError(f"{function!r} is not a usable function name (an ASCII identifier, not a keyword, "
                                f"not one of {', '.join(sorted(RESERVED))})")
    if len(set(functions)) != len(functions):
        raise ScaffoldError("each function may be given only once")
    if len(points) != len(functions) or min(*points, answer_points) <= 0:
        raise ScaffoldError(f"--points needs one positive number per function ({len(functions)}), and "
                            "--answer-points must be positive")


def check_free(assignment, files, root):
    """Raise ``ScaffoldError`` if the assignment's number, folders or any of ``files`` is taken."""
    number = assignment[:3]
    taken = [path.name for path in (root / "source").glob(f"{number}*") if path.is_dir()]
    if taken:
        raise ScaffoldError(f"the number {number[:2]} is already taken by source/{taken[0]}")
    for path in [Path("release", assignment), *files]:
        if (root / path).exists():
            raise ScaffoldError(f"{path} already exists")


# -- the master notebook -------------------------------------------------------------------------

def master_notebook(assignment, functions, points, answer_points):
    """The master notebook: title, setup, per function explanation + solution + test, written question."""
    module = assignments.module_name(assignment)
    cells = [markdown("md-01", TITLE.format(title=module.replace("_", " ").capitalize())),
             code("setup", SETUP, grade=False, locked=True, solution=False)]
    for number, (function, score) in enumerate(zip(functions, points), start=1):
        cells += [markdown(f"md-{number + 1:02d}", EXPLANATION.format(number=number, function=function)),
                  code(f"sol_{function}", SIGNATURE.format(function=function) + SOLUTION,
                       grade=False, locked=False, solution=True),
                  code(f"test_{function}", VISIBLE_TEST.format(assignment=assignment, function=function),
                       grade=True, locked=True, solution=False, points=score)]
    unit = "punto" if answer_points == 1 else "puntos"
    cells += [markdown(f"pregunta-{module}", QUESTION.format(points=answer_points, unit=unit)),
              markdown(f"respuesta-{module}", ANSWER, grade_id=f"respuesta_{module}", grade=True, locked=False,
                       solution=True, points=answer_points)]
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC,
                                                           "language_info": {"name": "python"}})


def code(grade_id, source, **nbgrader):
    """A code cell with nbgrader metadata; its id is ``grade_id`` with dashes."""
    return nbformat.v4.new_code_cell(source, id=grade_id.replace("_", "-"),
                                     metadata={"nbgrader": meta(grade_id, **nbgrader)})


def markdown(cell_id, source, grade_id=None, **nbgrader):
    """A Markdown cell; with ``grade_id``, an nbgrader cell (the written answer)."""
    metadata = {"nbgrader": meta(grade_id, **nbgrader)} if grade_id else {}
    return nbformat.v4.new_markdown_cell(source, id=cell_id, metadata=metadata)


def meta(grade_id, grade, locked, solution, points=None):
    """nbgrader's cell metadata, schema version 3."""
    fields = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    return fields | ({"points": points} if points is not None else {})


def demo_notebooks(assignment, student, root):
    """{path: text}: the student's notebook for every demo student (``demo/submitted/<student>/``)."""
    students = sorted(path.name for path in (root / "demo" / "submitted").glob("*") if path.is_dir())
    return {Path("demo", "submitted", name, assignment, f"{assignment}.ipynb"): nbformat.writes(student) + "\n"
            for name in students}


# -- the Python modules --------------------------------------------------------------------------

def modules(assignment, functions):
    """{path: text}: probes, judges, reference and mutant catalogue of the new assignment."""
    module = assignments.module_name(assignment)
    sources = [SIGNATURE.format(function=function) + BODY for function in functions]
    context = {"assignment": assignment, "module": module, "functions": functions, "sources": sources}
    targets = {"probes": Path("autograder", "probes"), "judges": Path("autograder", "judges"),
               "solutions": Path("solutions"), "mutants": Path("tests", "mutants")}
    return {folder / f"{module}.py": TEMPLATES.get_template(f"scaffold_{kind}.py.j2").render(context)
            for kind, folder in targets.items()}
