"""Graders for the course: checks as probe + judge, the grading command, results."""
