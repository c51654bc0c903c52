"""Trusted-side judges, one module per assignment.

A judge is ``judge(data, seed)``: it regenerates the probe's inputs from
``seed``, computes the reference, validates the plain ``data`` the probe
returned and raises ``CheckFailed`` with a Spanish message at the first
property that does not hold.  Judges never see student objects.
"""
