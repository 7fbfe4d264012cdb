"""Write a gradebook as JUnit XML: a testsuite per submission, a testcase per check.

A check that lost its points is a ``<failure>`` whose message is the first line
of the check's feedback; a check that could not run because grading itself
failed is an ``<error>``.  Text is stripped of characters XML 1.0 cannot hold,
so the file always parses, whatever a candidate's code printed.  A row with
nothing handed in (status ``missing``) has every testcase ``<skipped>``; the
row's status, lateness and final score are properties of its suite.
"""

from __future__ import annotations

from xml.etree import ElementTree

from harness.host.batch.gradebook import Adjustment, GradebookEntry
from harness.host.sinks import xml_text
from harness.wire.results import Outcome

MAX_MESSAGE_CHARS = 300


def _first_line(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line[:MAX_MESSAGE_CHARS]


def _suite(entry: GradebookEntry, adjustment: Adjustment | None) -> tuple[ElementTree.Element, int, int, int]:
    result = entry.result
    failures = errors = skipped = 0
    missing = adjustment is not None and adjustment.row_status == "missing"
    suite = ElementTree.Element(
        "testsuite",
        name=xml_text(f"{entry.candidate}/{entry.exercise}"),
        tests=str(len(result.checks)),
        timestamp=entry.graded_at,
        time=f"{result.durations.get('total_seconds', 0.0):.3f}",
    )
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in (
        ("candidate", entry.candidate),
        ("exercise", entry.exercise),
        ("source", entry.source),
        ("score", result.score),
        ("max_score", result.max_score),
        ("status", result.status.value),
        ("seed", result.seed),
        ("backend", result.backend),
        ("task_key", entry.key.digest),
    ):
        ElementTree.SubElement(properties, "property", name=name, value=xml_text(value))
    if adjustment is not None:
        for name, value in (
            ("row_status", adjustment.row_status),
            ("days_late", adjustment.days_late),
            ("penalty_percent", adjustment.penalty_percent),
            ("final_score", adjustment.final_score),
        ):
            ElementTree.SubElement(properties, "property", name=name, value=xml_text(value))
    for check in result.checks:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            name=xml_text(check.name),
            classname=xml_text(f"{entry.candidate}.{entry.exercise}"),
            time=f"{check.duration_seconds:.3f}",
        )
        case.set("file", xml_text(check.check_id))
        if missing:
            skipped += 1
            ElementTree.SubElement(case, "skipped", message="missing: nothing was handed in")
            continue
        if check.outcome is Outcome.PASSED:
            continue
        is_error = result.error is not None and check.outcome is Outcome.NOT_RUN
        errors += is_error
        failures += not is_error
        detail = check.output or check.outcome.label
        element = ElementTree.SubElement(
            case,
            "error" if is_error else "failure",
            message=xml_text(_first_line(detail) or check.outcome.label),
            type=check.outcome.value,
        )
        element.text = xml_text(detail + (f"\n\nprinted:\n{check.candidate_output}" if check.candidate_output else ""))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    if result.output or result.error:
        ElementTree.SubElement(suite, "system-out").text = xml_text(
            "\n\n".join(part for part in (result.error, result.output) if part)
        )
    return suite, failures, errors, skipped


def junit_xml(
    entries: list[GradebookEntry], adjustments: dict[tuple[str, str], Adjustment] | None = None
) -> ElementTree.ElementTree:
    """Build the JUnit XML document of ``entries`` (with each row's status and lateness, if given)."""
    root = ElementTree.Element("testsuites", name="ml-grader gradebook")
    tests = failures = errors = skipped = 0
    for entry in entries:
        suite, suite_failures, suite_errors, suite_skipped = _suite(
            entry, (adjustments or {}).get((entry.candidate, entry.exercise))
        )
        root.append(suite)
        tests += len(entry.result.checks)
        failures += suite_failures
        errors += suite_errors
        skipped += suite_skipped
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("skipped", str(skipped))
    ElementTree.indent(root)
    return ElementTree.ElementTree(root)
