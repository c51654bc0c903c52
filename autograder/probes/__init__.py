"""Sandbox-side probes, one module per assignment.

A probe is ``probe(ns, seed) -> plain data``: it calls the student's function
from the notebook namespace ``ns`` on inputs drawn from ``seed`` and returns
descriptions (``wire.describe``) of what came back.  Probe functions are
named after the graded item without its ``test_`` prefix.
"""
