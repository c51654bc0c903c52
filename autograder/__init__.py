"""Graders for the course: checks as probe + judge, the grading command, results."""
import sys

# jsonschema (imported by nbformat) loads rfc3987_syntax when it is installed, as jupyter-events'
# dependencies make it, and that compiles 39 lark grammars: 1.4 s of every grading process, for
# IRI format checks nbformat never asks for.  Blocked before anything imports nbformat.
sys.modules.setdefault("rfc3987_syntax", None)
