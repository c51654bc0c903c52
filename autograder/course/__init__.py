"""Course operations: grading a class, the gradebook, reports, feedback and exports."""
