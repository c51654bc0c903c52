# nbgrader configuration for the course: mechanics only.
# Commands run from this directory (the course root), so CourseDirectory.root
# is left unset; grading thresholds live next to the checks in autograder/.
c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

# Course name used by nbgrader's exchange (release_assignment, collect, feedback).
c.CourseDirectory.course_id = "pia"

# Gradebook beside this file; relative, so commands must run from the course root.
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Students see Spanish stubs; solution/hidden-test delimiters keep nbgrader's
# defaults (BEGIN SOLUTION / END SOLUTION, BEGIN HIDDEN TESTS / END HIDDEN TESTS).
c.ClearSolutions.code_stub = {"python": "# TU CÓDIGO AQUÍ\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "ESCRIBE TU RESPUESTA AQUÍ"

# Per-cell timeout in seconds; this is the setting that takes effect
# (ExecutePreprocessor.timeout does not, nbgrader#1463). Checks have their own
# shorter timeouts in autograder/.
c.Execute.timeout = 120

# Feedback (nbgrader generate_feedback): nbgrader's own preprocessors with
# autograder.course.feedback.HideHiddenTests between them, so the HTML has no
# hidden-test regions and a test cell's error is its message only, not a
# traceback quoting the cell's source (nbgrader#917, #1363).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.course.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Autograde: nbgrader's own sanitizing preprocessors, with autograder.course.overwrite.OverwriteCells
# in place of the stock one, which warns "Attribute 'checksum' for cell test_... has changed!" on
# every honest submission because the gradebook keeps test cells with their hidden tests
# (nbgrader#1961). A test cell a student really edited is still reported and restored.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.course.overwrite.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
