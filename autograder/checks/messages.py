"""The Spanish sentences a student reads when their code fails outside a check's own verdict.

A check's verdict is written by its judge; these cover what every item shares:
a stub not written yet, an exception or a warning raised by the student's code,
and the grader's own failure (whose English diagnosis goes to the instructor).
"""
GRADER_FAILED = "falló el calificador, no tu entrega; se volverá a calificar"

# What the exceptions student code raises most often mean, for a reader who does not know Python's names.
EXCEPTIONS = {
    "AssertionError": "no se cumplió una comprobación",
    "AttributeError": "se usó un atributo o método que ese objeto no tiene",
    "IndexError": "un índice se sale del tamaño",
    "KeyError": "se buscó una clave que el diccionario no tiene",
    "NameError": "se usó un nombre que no está definido (¿falta un import o ejecutar una celda?)",
    "RecursionError": "la función se llama a sí misma sin fin",
    "RuntimeError": "PyTorch rechazó la operación (a menudo por formas o tipos incompatibles)",
    "TypeError": "se usó un valor de un tipo que la operación no acepta",
    "UnboundLocalError": "se usó una variable antes de darle valor",
    "ValueError": "un valor no es válido para la operación (a menudo por formas incompatibles)",
    "ZeroDivisionError": "se dividió por cero",
}
# Substrings of NumPy's and PyTorch's RuntimeWarnings, and what they mean.
WARNINGS = {
    "overflow": "un resultado no cabe en un número de coma flotante: con valores grandes, exp o una potencia "
                "crecen sin límite; reordena el cálculo para que no ocurra, por ejemplo con exp(-|z|)",
    "invalid value": "una operación dio un resultado no definido (NaN), como 0/0, inf − inf o log de un negativo",
    "divide by zero": "se dividió por cero (o se tomó log(0)) y el resultado es infinito",
}
MAX_WARNINGS = 3  # distinct warnings named per item


def not_written(name):
    """An untouched stub: the function still raises the release's NotImplementedError."""
    return f"{name}: todavía no está escrita; sustituye «raise NotImplementedError()» por tu código"


def raised(name, kind, text=""):
    """``name`` raised the exception ``kind`` (its class name) with ``text``: what that means, then Python's words."""
    if kind == "NotImplementedError":
        return not_written(name)
    if kind.endswith("Warning"):  # a warning the notebook turned into an error (np.seterr, filterwarnings)
        return f"{name}: {warned([f'{kind}: {text}'])}"
    meaning = EXCEPTIONS.get(kind)
    said = f"{name} lanzó {kind}" + (f" ({meaning})" if meaning else "")
    return f"{said}: {text}" if text else said


def warned(texts):
    """A clause naming the warnings (``Category: message`` strings) the student's code raised, each explained."""
    parts = [f"«{text}» ({next((m for key, m in WARNINGS.items() if key in text), 'revisa la línea que lo produce')})"
             for text in list(dict.fromkeys(texts))[:MAX_WARNINGS]]
    return "tu código emitió el aviso " + "; y el aviso ".join(parts) if parts else ""
