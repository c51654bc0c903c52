"""Run the visible tests of a student repository's notebooks: ``python pruebas_visibles.py [NOTEBOOK...]``.

Without arguments, runs every ``<assignment>/<assignment>.ipynb`` below the
current folder.  Each notebook runs top to bottom in a fresh ``python3``
kernel, from its own folder, carrying on past cells that raise; then every
test cell (nbgrader metadata ``grade: true``) is reported as passed or
failed.  A test cell fails, as under nbgrader, when it raises or writes to
stderr, or when it never ran.  Output in Spanish.  Exit status: 0 every
visible test passes; 1 some fail; 2 no notebook, or one that cannot be read.
"""
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

CELL_TIMEOUT = 600  # seconds per cell


def notebooks(arguments):
    """The notebooks named, or ``*/<folder name>.ipynb`` below the current folder."""
    if arguments:
        return [Path(a) for a in arguments]
    return sorted(p for p in Path().glob("*/*.ipynb") if p.stem == p.parent.name)


def error_line(name, value):
    """The Spanish line for an exception of class ``name`` with text ``value`` raised by a test cell."""
    if name == "NotImplementedError":
        return "una función todavía no está escrita: sustituye «raise NotImplementedError()» por tu código"
    if name == "AssertionError":
        return value or "no se cumplió una comprobación"
    return f"{name}: {value}" if value else name


def failure(cell):
    """Why a test cell failed, in one Spanish line; None when it passed."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return error_line(output.ename, output.evalue)
        if output.output_type == "stream" and output.name == "stderr":
            lines = output.text.strip().splitlines() or [""]
            return f"escribió en stderr: {lines[0][:200]}"
    if cell.get("execution_count") is None:
        return "no se ejecutó"
    return None


def run(path):
    """Run one notebook; print one line per visible test.  Returns (passed, total)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    try:
        client.execute()
    except (CellTimeoutError, DeadKernelError) as exc:
        print(f"  la ejecución se detuvo: {type(exc).__name__} (una celda tardó más de {CELL_TIMEOUT} s "
              "o el kernel murió)")
    tests = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    passed = 0
    for cell in tests:
        name = cell.metadata["nbgrader"].get("grade_id", "?")
        why = failure(cell)
        print(f"  ✗ {name}: {why}" if why else f"  ✓ {name}")
        passed += why is None
    return passed, len(tests)


def main(arguments):
    paths = notebooks(arguments)
    if not paths:
        print("No encuentro ningún cuaderno de tarea en esta carpeta "
              "(por ejemplo 01_regresion_lineal/01_regresion_lineal.ipynb).", file=sys.stderr)
        return 2
    failed = 0
    for path in paths:
        print(path)
        try:
            passed, total = run(path)
        except (OSError, ValueError) as exc:  # missing file, not JSON, not a notebook
            print(f"  no se puede leer el cuaderno: {exc}", file=sys.stderr)
            return 2
        print(f"  {passed} de {total} pruebas visibles pasan.")
        failed += total - passed
    if failed:
        print("Hay pruebas visibles que fallan: corrige esas funciones y vuelve a ejecutar.")
        return 1
    print("Todas las pruebas visibles pasan. La nota usa también pruebas ocultas, que comprueban más casos.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
