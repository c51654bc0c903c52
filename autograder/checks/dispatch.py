"""One check = probe (where the student's code lives) + judge (trusted)."""
import warnings

import torch

from autograder import assignments
from autograder.checks.judging import CheckFailed
from autograder.checks.probing import preserved_global_rngs, StudentError

# What a malformed probe result raises when a judge reads it.
MALFORMED = (KeyError, TypeError, IndexError, ValueError, AttributeError)


def run_probe(assignment, item, ns, seed):
    """Run the probe of ``item`` on namespace ``ns``: ``{"ok": data}`` or ``{"error": message}``."""
    probe = getattr(assignments.probes(assignment), assignments.check_name(item))
    # A check starts from the same state whatever the notebook left: warnings
    # silenced, global RNGs restored afterwards, gradients enabled.
    with warnings.catch_warnings(), preserved_global_rngs(), torch.enable_grad():
        warnings.simplefilter("ignore")
        try:
            return {"ok": probe(ns, seed)}
        except StudentError as exc:
            return {"error": str(exc)}
        except MemoryError:
            return {"error": f"{assignments.check_name(item)}: se agotó la memoria", "status": "oom"}


def judge(assignment, item, result, seed):
    """Score fraction in [0, 1] and the Spanish message for a probe ``result``."""
    name = assignments.check_name(item)
    if not isinstance(result, dict) or not ({"ok", "error"} & set(result)):
        return 0.0, f"{name}: la prueba no devolvió un resultado válido"
    if "error" in result:
        return 0.0, str(result["error"])
    try:
        getattr(assignments.judges(assignment), name)(result["ok"], seed)
    except CheckFailed as exc:
        return 0.0, str(exc)
    except MALFORMED as exc:
        return 0.0, f"{name}: la prueba devolvió datos con una estructura inesperada ({type(exc).__name__})"
    return 1.0, f"{name}: correcto"
