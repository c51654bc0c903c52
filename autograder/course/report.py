"""The class report: one static HTML page and a CSV of grades, for the instructor.

Input: ``DIR/<assignment>/<student>.json`` (results files written by
``python -m autograder grade --results DIR/<assignment>``) and each folder's
``.timings.jsonl`` (``{"student", "seconds", "status"}`` per line, appended by
batch grading; the last line of a student wins).  With a gradebook, totals and
item scores are nbgrader's (``Grade.score``: the manual score if set, else the
autograde score) minus the late penalty, so manually graded cells count.

Output: ``OUT/index.html`` (self-contained: plots are embedded PNGs) and
``OUT/grades.csv`` (``student,<assignment>...,total``; an empty cell is no record).
The page links ``OUT/integrity.html`` with its counts when the integrity command wrote one there.
"""
import base64
import csv
import io
import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from autograder import results
from autograder.course import integrity

TROUBLE = ("timeout", "crashed", "oom")  # test statuses listed with the problem submissions
FAILED_SHOWN = 10                        # most-failed checks listed per assignment
MESSAGES_SHOWN = 3                       # most common messages listed per failed check
COLOURS = {"totals": "#1f77b4", "items": "#ff7f0e", "seconds": "#2ca02c"}  # bars; the page's CSS uses none


class ReportError(Exception):
    """The report cannot be made from these inputs; nothing was written."""


@dataclass
class AssignmentData:
    """One assignment: results by student, and what the gradebook and timings add."""
    name: str
    results: dict = field(default_factory=dict)      # student -> results dict
    unreadable: list = field(default_factory=list)   # (student, reason)
    seconds: dict = field(default_factory=dict)      # student -> grading time
    grades: dict = field(default_factory=dict)       # student -> {item: (score, max_score)} from the gradebook
    penalties: dict = field(default_factory=dict)    # student -> late penalty from the gradebook

    def students(self):
        return sorted(set(self.results) | set(self.grades))

    def scored(self):
        """Students with a score to show: graded results, or only gradebook records."""
        return [s for s in self.students()
                if (s in self.results and self.results[s]["status"] == "graded") or s not in self.results]

    def items(self):
        """{item: max_score}, in the results' order, then cells only the gradebook knows (manual ones)."""
        order = {}
        for result in self.results.values():
            for test in result["tests"]:
                order.setdefault(test["name"], test["max_score"])
        for cells in self.grades.values():
            for item, (_, max_score) in cells.items():
                order.setdefault(item, max_score)
        return order

    def item_scores(self, student):
        """{item: (score, max_score)} of one student: the gradebook's when it has them."""
        if student in self.grades:
            return self.grades[student]
        return {t["name"]: (t["score"], t["max_score"]) for t in self.results.get(student, {}).get("tests", [])}

    def total(self, student):
        """The student's points less the late penalty (at least 0, as ``nbgrader export``); None: no record."""
        if student in self.grades:
            points = sum(score for score, _ in self.grades[student].values())
            return max(0.0, points - (self.penalties.get(student) or 0))
        return self.results[student]["score"] if student in self.results else None

    def max_score(self):
        return sum(self.items().values())


def load(results_dir, gradebook=None):
    """[AssignmentData] of every ``results_dir/<assignment>/`` folder holding results files."""
    root = Path(results_dir)
    if not root.is_dir():
        raise ReportError(f"{root} is not a folder")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and any(p.glob("*.json")))
    if not folders:
        hint = " (it holds results files itself: pass its parent folder)" if any(root.glob("*.json")) else ""
        raise ReportError(f"no results found in {root}: expected {root}/<assignment>/<student>.json{hint}")
    data = [_assignment(folder) for folder in folders]
    if gradebook:
        _add_gradebook(data, gradebook)
    return data


def _assignment(folder):
    data = AssignmentData(folder.name)
    for path in sorted(folder.glob("*.json")):
        result = results.read(path)
        if result is None:
            data.unreadable.append((path.stem, f"unreadable results file {path.name}"))
        elif result["assignment"] != folder.name:
            data.unreadable.append((path.stem, f"{path.name} is a result of {result['assignment']}"))
        else:
            data.results[path.stem] = result
    timings = folder / results.TIMINGS
    if timings.is_file():
        for line in timings.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
                data.seconds[str(entry["student"])] = float(entry["seconds"])
            except (ValueError, TypeError, KeyError):
                continue  # a line cut short by a kill: that timing is lost, nothing else
    return data


def _add_gradebook(data, url):
    """Each assignment's grades and late penalties as the gradebook holds them (hand scores included)."""
    from autograder.course import exports

    try:
        with exports.reading(url) as db:
            submissions = exports.submission_grades(db)
    except exports.ExportError as exc:
        raise ReportError(str(exc)) from None
    by_name = {d.name: d for d in data}
    for submission in submissions:
        if submission.assignment in by_name:
            assignment = by_name[submission.assignment]
            assignment.grades[submission.student] = {c.name: (c.score, c.max_score) for c in submission.cells}
            assignment.penalties[submission.student] = submission.late_penalty


# -- what the page shows -------------------------------------------------------------------------

def failed_checks(data):
    """[(item, failures, submissions, [(message, count)])]: items that lost points in graded submissions,
    most failures first, with their most common messages and how many submissions gave each."""
    outputs = defaultdict(list)
    graded = [r for r in data.results.values() if r["status"] == "graded"]
    for result in graded:
        for test in result["tests"]:
            if test["score"] < test["max_score"]:
                outputs[test["name"]].append(test.get("output") or test.get("status", ""))
    rows = []
    for item, messages in outputs.items():
        rows.append((item, len(messages), len(graded), Counter(messages).most_common(MESSAGES_SHOWN)))
    return sorted(rows, key=lambda row: (-row[1], row[0]))[:FAILED_SHOWN]


def problems(data):
    """[(student, status, troubled tests, message)]: submissions not graded cleanly."""
    rows = [(student, "unreadable", "", reason) for student, reason in data.unreadable]
    for student, result in sorted(data.results.items()):
        trouble = [f"{t['name']}: {t['status']}" for t in result["tests"] if t.get("status") in TROUBLE]
        if result["status"] != "graded" or trouble:
            rows.append((student, result["status"], ", ".join(trouble), result.get("diagnosis", result.get("output", ""))))
    return sorted(rows)


def summary(data):
    """One row of the overview table."""
    statuses = Counter(r["status"] for r in data.results.values())
    totals = [data.total(s) for s in data.scored()]
    seconds = list(data.seconds.values())
    return {
        "name": data.name, "students": len(data.students()), "max": data.max_score(),
        "graded": len(data.scored()), "invalid": statuses["invalid_submission"],
        "missing": statuses["missing_submission"], "error": statuses["error"] + len(data.unreadable),
        "trouble": sum(t.get("status") in TROUBLE for r in data.results.values() for t in r["tests"]),
        "mean": statistics.fmean(totals) if totals else None,
        "median": statistics.median(totals) if totals else None,
        "seconds": sum(seconds) if seconds else None,
        "median_seconds": statistics.median(seconds) if seconds else None,
        "max_seconds": max(seconds) if seconds else None,
    }


def _png(figure):
    """``data:`` URL of ``figure`` as PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def totals_plot(data):
    figure = Figure(figsize=(5, 3.2))
    axes = figure.subplots()
    totals, top = [data.total(s) for s in data.scored()], data.max_score()
    bins = [i * top / min(10, max(1, round(top))) for i in range(min(10, max(1, round(top))) + 1)] if top else 10
    axes.hist(totals, bins=bins, color=COLOURS["totals"], edgecolor="white")
    axes.set(title=f"{data.name}: totals ({len(totals)} scored)", xlabel=f"points (of {top:g})", ylabel="students")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(figure)


def items_plot(data):
    items, scores = data.items(), [data.item_scores(s) for s in data.scored()]
    means = [statistics.fmean([row[item][0] / row[item][1] for row in scores if row.get(item, (0, 0))[1]] or [0.0])
             for item in items]
    figure = Figure(figsize=(5, 0.6 + 0.35 * max(1, len(items))))
    axes = figure.subplots()
    labels = [f"{item.removeprefix('test_')} ({top:g})" for item, top in items.items()]
    axes.barh(labels, means, color=COLOURS["items"])
    axes.invert_yaxis()
    axes.set(title=f"{data.name}: mean fraction of points per item", xlim=(0, 1))
    return _png(figure)


def seconds_plot(data):
    if not data.seconds:
        return None
    figure = Figure(figsize=(5, 3.2))
    axes = figure.subplots()
    axes.hist(list(data.seconds.values()), bins=10, color=COLOURS["seconds"], edgecolor="white")
    axes.set(title=f"{data.name}: grading time per submission", xlabel="seconds", ylabel="submissions")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    return _png(figure)


def grade_rows(data_list):
    """(header, rows) of the grades table: one row per student, a column per assignment, then the total."""
    students = sorted({s for data in data_list for s in data.students()})
    header = ["student", *(d.name for d in data_list), "total"]
    rows = []
    for student in students:
        totals = [d.total(student) for d in data_list]
        rows.append([student, *totals, sum(t for t in totals if t is not None)])
    return header, rows


PAGE = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string("""\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class report</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.n { text-align: right; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.message { font-family: monospace; white-space: pre-wrap; max-width: 60em; }
</style></head><body>
<h1>Class report</h1>
<p>Results from <code>{{ source }}</code>{% if gradebook %}; totals from the gradebook <code>{{ gradebook }}</code>
(manual scores and late penalties included){% endif %}. Grades as CSV: <a href="grades.csv">grades.csv</a>.</p>
<table>
<tr><th>assignment</th><th>students</th><th>scored</th><th>invalid</th><th>missing</th><th>errors</th>
<th>tests timed out / crashed / oom</th><th>mean</th><th>median</th><th>grading time (total, median, max)</th></tr>
{% for s in summaries %}
<tr><td><a href="#{{ s.name }}">{{ s.name }}</a></td><td class="n">{{ s.students }}</td>
<td class="n">{{ s.graded }}</td>
<td class="n">{{ s.invalid }}</td><td class="n">{{ s.missing }}</td><td class="n">{{ s.error }}</td>
<td class="n">{{ s.trouble }}</td><td class="n">{{ points(s.mean) }} / {{ points(s.max) }}</td>
<td class="n">{{ points(s.median) }}</td>
<td class="n">{% if s.seconds is none %}no timings{% else %}{{ "%.1f"|format(s.seconds) }} s,
{{ "%.1f"|format(s.median_seconds) }} s, {{ "%.1f"|format(s.max_seconds) }} s{% endif %}</td></tr>
{% endfor %}
</table>
{% if integrity %}
<h2 id="integrity">Integrity</h2>
<p>Code that reaches into the grader, and submissions that resemble each other or the reference, for a person
to look at (no score changes): <a href="integrity.html">integrity.html</a>, every pair's score in
<a href="integrity.csv">integrity.csv</a>.</p>
<table><tr><th>assignment</th><th>submissions compared</th><th>students flagged</th><th>similar pairs</th></tr>
{% for i in integrity %}
<tr><td><a href="integrity.html#{{ i.assignment }}">{{ i.assignment }}</a></td><td class="n">{{ i.students }}</td>
<td class="n">{{ i.tampering }}</td><td class="n">{{ i.listed }}</td></tr>
{% endfor %}
</table>
{% endif %}
{% for a in assignments %}
<h2 id="{{ a.name }}">{{ a.name }}</h2>
<div class="plots">
<img alt="{{ a.name }}: totals" src="{{ a.totals_plot }}">
<img alt="{{ a.name }}: points per item" src="{{ a.items_plot }}">
{% if a.seconds_plot %}<img alt="{{ a.name }}: grading time" src="{{ a.seconds_plot }}">{% endif %}
</div>
<h3>Checks that failed most</h3>
{% if a.failed %}
<table><tr><th>item</th><th>failed</th><th>most common messages (submissions)</th></tr>
{% for item, failures, total, messages in a.failed %}
<tr><td>{{ item }}</td><td class="n">{{ failures }} / {{ total }}</td><td>
{% for message, count in messages %}<div><span class="message">{{ message }}</span> ({{ count }})</div>{% endfor %}
</td></tr>
{% endfor %}</table>
{% else %}<p>No check failed in a graded submission.</p>{% endif %}
<h3>Submissions not graded cleanly</h3>
{% if a.problems %}
<table><tr><th>student</th><th>status</th><th>tests</th><th>message</th></tr>
{% for student, status, trouble, message in a.problems %}
<tr><td>{{ student }}</td><td>{{ status }}</td><td>{{ trouble }}</td><td class="message">{{ message }}</td></tr>
{% endfor %}</table>
{% else %}<p>None: every submission was graded and no test timed out, crashed or ran out of memory.</p>{% endif %}
{% endfor %}
<h2>Grades</h2>
<table><tr>{% for name in header %}<th>{{ name }}</th>{% endfor %}</tr>
{% for row in rows %}
<tr><td>{{ row[0] }}</td>{% for value in row[1:] %}<td class="n">{{ points(value) }}</td>{% endfor %}</tr>
{% endfor %}</table>
</body></html>
""")


def _points(value):
    return "–" if value is None else f"{value:.4g}"


def write(results_dir, out, gradebook=None):
    """Write ``out/index.html`` and ``out/grades.csv``; returns the page's path."""
    data_list = load(results_dir, gradebook)
    assignments = [{"name": d.name, "totals_plot": totals_plot(d), "items_plot": items_plot(d),
                    "seconds_plot": seconds_plot(d),
                    "failed": failed_checks(d), "problems": problems(d)} for d in data_list]
    header, rows = grade_rows(data_list)
    html = PAGE.render(source=str(results_dir), gradebook=gradebook, summaries=[summary(d) for d in data_list],
                       assignments=assignments, header=header, rows=rows, points=_points,
                       integrity=integrity.summaries(out))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([results.inert(row[0]), *("" if v is None else f"{v:g}" for v in row[1:])] for row in rows)
    (out / "index.html").write_text(html, encoding="utf-8")
    return out / "index.html"
