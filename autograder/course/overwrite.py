"""nbgrader autograde without false tampering alarms on honest submissions.

``nbgrader generate_assignment`` records each locked cell's source and checksum in the gradebook
*before* it clears the hidden-test regions (its ``SaveCells`` precedes ``ClearHiddenTests``), so
the gradebook holds the master's test cell while the student receives it without its hidden
block.  Stock ``OverwriteCells`` then finds every such cell "changed" in every submission and
warns ``Attribute 'checksum' for cell test_... has changed!`` (nbgrader#1961), even for a student
who never touched it.  ``OverwriteCells`` here first recognises the cell as released (the
gradebook's source with its hidden regions cleared, as generate_assignment clears them) and
restores the master's source silently; a cell that differs from what was released is still
reported and restored, as stock nbgrader does.
"""
from nbformat import NotebookNode
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.preprocessors import OverwriteCells as StockOverwriteCells


class OverwriteCells(StockOverwriteCells):
    """Stock OverwriteCells that takes a locked cell exactly as released for an unchanged one."""

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source_cell = None
            if source_cell is not None and source_cell.locked and cell.source == self._released(source_cell.source):
                cell.source = source_cell.source
        return super().preprocess_cell(cell, resources, cell_index)

    def _released(self, source):
        """``source`` as generate_assignment released it: hidden-test regions cleared."""
        released = NotebookNode(source=source)
        ClearHiddenTests(parent=self)._remove_hidden_test_region(released)
        return released.source
