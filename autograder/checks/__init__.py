"""The check framework: how a check is written (probe helpers, judge helpers, the wire between them, seeds)."""
