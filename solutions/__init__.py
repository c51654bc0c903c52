"""Reference solutions, one module per assignment.

Each function's body is the ``### BEGIN SOLUTION`` region of the master
notebook in ``source/``; ``tests/test_solutions_sync.py`` proves they agree.
"""
