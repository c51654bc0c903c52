"""Splitting a class into shards, for grading it on several machines.

A shard is a share of the student folders of a ``submitted/`` folder (or of
the course root holding it), in nbgrader's layout
``submitted/<student>/<assignment>/``.  The folders are sorted by name and
dealt round robin: student ``k`` (0-based, in sorted order) goes to shard
``k mod N``.  So every student lands in exactly one of the N shards, the
shards differ in size by at most one, and every machine computes the same
split.  Which folders count as students is what ``batch.discover`` counts:
every folder whose name does not start with a dot.
"""
from pathlib import Path


class ShardError(Exception):
    """The split cannot be made (bad index, missing folder, unprintable name)."""


def students(submitted):
    """The student folders of ``submitted`` (or of ``submitted/submitted``, a course root), sorted by name."""
    submitted = Path(submitted)
    if not submitted.is_dir():
        raise ShardError(f"not a folder: {submitted}")
    if (submitted / "submitted").is_dir():
        submitted = submitted / "submitted"
    return sorted((f for f in submitted.iterdir() if f.is_dir() and not f.name.startswith(".")),
                  key=lambda f: f.name)


def shard(submitted, index, of):
    """The student folders of shard ``index`` (0 ≤ index < of) of ``submitted``: a list of Paths."""
    if of < 1:
        raise ShardError(f"--of must be at least 1, got {of}")
    if not 0 <= index < of:
        raise ShardError(f"--index must be between 0 and {of - 1}, got {index}")
    folders = students(submitted)[index::of]
    for folder in folders:
        if "\n" in folder.name:
            raise ShardError(f"a student folder's name holds a line break, which cannot be listed: {folder!r}")
    return folders
