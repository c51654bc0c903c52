"""The documentation: relative links resolve, anchors name real headings, nothing points outside the repository."""
import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

DOCUMENTS = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md"), REPO / "student-template" / "README.md"])
# Places outside the repository that documents once pointed to; spelled in pieces so this file does not match.
OUTSIDE = ["../" + "shared", "/work/" + "shared",
           *(name + ".md" for name in ("DESIGN", "EXERCISES", "ATTACKS", "NBGRADER_FACTS"))]

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)


def prose(text):
    """``text`` without fenced code blocks and code spans, where brackets are code, not links."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading):
    """GitHub's anchor for a heading: link text kept, lowercase, punctuation but hyphens and underscores
    dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path):
    """The anchors of a Markdown file's headings, duplicates numbered as GitHub numbers them."""
    seen, found = {}, set()
    for match in HEADING.finditer(FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(path):
    """The relative links of Markdown file ``path`` whose file, or whose heading, does not exist."""
    broken = []
    for match in LINK.finditer(prose(path.read_text(encoding="utf-8"))):
        target = match.group(1)
        if re.match(r"(https?|mailto):", target, re.IGNORECASE):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            broken.append(f"{target}: no such file {resolved}")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    return broken


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(path):
    """Does every relative link in README, docs/ and the student guide point to a file, and a heading, that exist?"""
    assert broken_links(path) == []


def test_a_broken_link_is_caught(tmp_path):
    """Would a link to a missing file, or to a missing heading, fail the test, while good links pass?"""
    (tmp_path / "other.md").write_text("# Other\n\n## Grading: one set of checks, two ways in\n\n## `A_B` c\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[ok](other.md) [ok](other.md#grading-one-set-of-checks-two-ways-in) [ok](other.md#a_b-c) [ok](#page)\n"
        "[web](https://example.org/missing.md) [mail](mailto:x@example.org) `[code](missing.md)`\n"
        "```\n[fenced](missing.md)\n```\n"
        "[gone](missing.md) [no heading](other.md#nowhere) [no local heading](#nowhere)\n")
    assert [line.split(":")[0] for line in broken_links(page)] == ["missing.md", "other.md#nowhere", "#nowhere"]


def test_slugs_follow_github():
    """Are anchors made as GitHub makes them?"""
    assert slug("Grading: one set of checks, two ways in") == "grading-one-set-of-checks-two-ways-in"
    assert slug("`AUTOGRADER_SECRET`") == "autograder_secret"
    assert slug("Under `nbgrader autograde`") == "under-nbgrader-autograde"
    assert slug("1. Write and generate the assignment") == "1-write-and-generate-the-assignment"
    assert slug("Cómo trabajar") == "cómo-trabajar"


def test_no_file_points_outside_the_repository():
    """Does no tracked file mention the shared folder beside the repository, or the documents once kept there?"""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: no list of tracked files")
    mentions = []
    for name in listed.stdout.decode().split("\0"):
        path = REPO / name
        if not name or not path.is_file():
            continue
        data = path.read_bytes()
        mentions += [f"{name}: {needle}" for needle in OUTSIDE if needle.encode() in data]
    assert mentions == []
