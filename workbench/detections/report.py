"""Plain-text views of detection results: unit-test reports laid out like Panther's CLI, rule-run tables.

Everything rule code produced (titles, printed output, error messages) is cleaned of terminal control
sequences before it is put in a line.
"""

from __future__ import annotations

from collections.abc import Iterable

from workbench.detections.results import CaseResult, TestReport
from workbench.safetext import clean, one_line


def _fn_label(name: str) -> str:
    return "alertContext" if name == "alert_context" else name


def case_lines(case: CaseResult) -> list[str]:
    """`[PASS] name`, then what the rule printed, then one line per function."""
    if not case.functions and case.error:
        return [f"WARNING: {one_line(case.error, 1000)}"]  # the case never ran (e.g. a mock of a missing name)
    lines = []
    if case.stdout:
        # what the rule printed comes first, as it was printed, like Panther's CLI shows it
        lines += [clean(x) for x in case.stdout.rstrip("\n").splitlines()[:200]] + [""]
    lines.append(f"\t[{'PASS' if case.passed else 'FAIL'}] {one_line(case.name, 200)}")
    for fn in case.functions:
        if fn.error is not None:
            lines.append(f"\t\t[FAIL] [{_fn_label(fn.name)}] {one_line(fn.error, 1000)}")
        else:
            value = fn.output
            shown = "true" if value is True else "false" if value is False else "null" if value is None else value
            lines.append(f"\t\t[PASS] [{_fn_label(fn.name)}] {one_line(shown, 1000)}")
    # the reason, when no line above shows it; not for unique(), whose failure Panther's CLI does not print
    if (not case.passed and case.error and all(f.error is None for f in case.functions)
            and not case.error.startswith("unique: ")):
        lines.append(f"\t\t{one_line(case.error, 1000)}")
    return lines


def test_report_lines(report: TestReport) -> Iterable[str]:
    for rules in report.rules:
        yield one_line(rules.rule_id, 300)
        for case in rules.cases:
            yield from case_lines(case)
        if not rules.cases:
            yield "\t(no unit tests)"
        yield ""
    if report.skipped:
        yield "Skipped:"
        for s in report.skipped:
            yield f"\t{one_line(s.path, 300)}: {s.analysis_id}: {s.reason}"
        yield ""
    if report.invalid:
        yield "Invalid:"
        for i in report.invalid:
            yield f"\t{one_line(i.message, 1000)}"
        yield ""
    failed = [f"{c.rule_id}: {c.name}" for c in report.cases if not c.passed]
    if failed:
        yield "Failed Tests Summary"
        for f in failed:
            yield f"\t{one_line(f, 300)}"
        yield ""
    cases = report.cases
    yield (f"Passed: {report.passed}, Failed: {report.failed}, Invalid: {len(report.invalid)}, "
           f"Skipped: {len(report.skipped)}  ({sum(c.passed for c in cases)}/{len(cases)} test cases passed)")


def table(rows: list[list[str]], header: list[str]) -> list[str]:
    """Left-aligned columns; every cell cleaned to one line."""
    cells = [[one_line(c, 80) for c in header]] + [[one_line(c, 80) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
