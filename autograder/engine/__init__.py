"""The execution engine: where student code is run (sandbox, zygotes, the worker) and how a notebook becomes steps."""
