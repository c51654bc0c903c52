"""What student code replaced in the grader's process: runtime facts for the integrity report.

Before the first step the worker takes a ``Watch`` of the objects grading relies on: the
callables of the grader's loaded modules (``autograder.*``) and of torch, NumPy and the
standard modules a probe uses, the methods of the classes student code subclasses, the
``sys.modules`` entries of those modules, and the interpreter's and IPython's hooks (tracing,
import machinery, input transformers, event callbacks).  After each step ``changed`` names
what is now bound to another object, and takes it as the new state, so a replacement is
reported once, by the step that made it.

These facts come from the student's own process: a student who reads this module can hide
them (docs/security.md).  They add to the trusted side's scan of the source
(``course.integrity``), never replace it, and no score depends on them.
"""
import sys
import threading

MODULES = ("torch", "torch.autograd", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.optim",
           "numpy", "numpy.random", "numpy.linalg", "builtins", "math", "random", "warnings", "inspect",
           "importlib", "os", "sys", "threading")
CLASSES = ("torch.Tensor", "torch.nn.Module", "torch.nn.Linear", "torch.optim.Optimizer", "torch.optim.SGD",
           "torch.autograd.Function")
IGNORED = {"_", "__", "___", "displayhook", "excepthook",  # rebound by IPython itself around every cell
           "last_type", "last_value", "last_traceback", "last_exc"}
PLOTTING = {"matplotlib", "matplotlib_inline"}  # modules whose IPython event callbacks are not reported
MAX_NAMES = 20  # names reported per step
_GONE = object()


def _resolve(dotted):
    module, _, attribute = dotted.rpartition(".")
    return getattr(sys.modules.get(module), attribute, None)


class Watch:
    """The watched names of this process, each with the object it held when last looked at."""

    def __init__(self, shell):
        self.shell = shell
        names = sorted({*MODULES, *(name for name in sys.modules if name.split(".")[0] == "autograder")})
        self.modules = {name: sys.modules[name] for name in names if sys.modules.get(name) is not None}
        spaces = [(name, vars(module)) for name, module in self.modules.items()]
        spaces += [(dotted, vars(cls)) for dotted in CLASSES if isinstance(cls := _resolve(dotted), type)]
        # (prefix, the live namespace, {key: the callable it held}): namespaces are compared in place, not copied
        self.spaces = [(prefix, live, {key: value for key, value in live.items() if callable(value) and key not in IGNORED})
                       for prefix, live in spaces]
        self.hooks = self._hooks()

    def _hooks(self):
        """{name: object or tuple of objects} of the interpreter's and IPython's hooks, as they are now."""
        shell = self.shell
        return {
            "sys.gettrace()": sys.gettrace(), "sys.getprofile()": sys.getprofile(),
            "threading.gettrace()": threading.gettrace(), "threading.getprofile()": threading.getprofile(),
            "sys.modules": sys.modules, "sys.meta_path": tuple(sys.meta_path), "sys.path_hooks": tuple(sys.path_hooks),
            "shell.input_transformers_cleanup": tuple(shell.input_transformers_cleanup),
            "shell.input_transformers_post": tuple(shell.input_transformers_post),
            "shell.ast_transformers": tuple(shell.ast_transformers),
            **{f"shell.events[{event!r}]": tuple(c for c in callbacks if not _plotting(c))
               for event, callbacks in shell.events.callbacks.items()},
            **{f"shell.{key}": value for key, value in vars(shell).items() if callable(value)},
        }

    def changed(self):
        """The watched names bound to another object since the last look (at most ``MAX_NAMES``), sorted; what
        they hold now becomes what later looks compare with."""
        names = [f"sys.modules[{name!r}]" for name, module in self.modules.items() if sys.modules.get(name) is not module]
        for prefix, live, saved in self.spaces:
            for key in [key for key, value in saved.items() if live.get(key, _GONE) is not value]:
                names.append(f"{prefix}.{key}")
                saved[key] = live.get(key, _GONE)
        hooks = self._hooks()
        names += [name for name, now in hooks.items() if not _same(self.hooks.get(name, _GONE), now)]
        self.hooks = hooks
        self.modules = {name: sys.modules.get(name) for name in self.modules}
        return sorted(names)[:MAX_NAMES]


def _plotting(callback):
    """Is ``callback`` one that matplotlib registers for itself (``%matplotlib inline``, pyplot's first figure)?"""
    return str(getattr(callback, "__module__", "")).split(".")[0] in PLOTTING


def _same(before, after):
    if isinstance(before, tuple) and isinstance(after, tuple):
        return len(before) == len(after) and all(a is b for a, b in zip(before, after))
    return before is after
