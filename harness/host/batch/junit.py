"""Write a gradebook as JUnit XML: a testsuite per submission, a testcase per check.

A check that lost its points is a ``<failure>`` whose message is the first line
of the check's feedback; a check that could not run because grading itself
failed is an ``<error>``.  Text is stripped of characters XML 1.0 cannot hold,
so the file always parses, whatever a candidate's code printed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from harness.host.batch.gradebook import GradebookEntry
from harness.host.sinks import xml_text
from harness.wire.results import Outcome

MAX_MESSAGE_CHARS = 300


def _first_line(text: str) -> str:
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line[:MAX_MESSAGE_CHARS]


def _suite(entry: GradebookEntry) -> tuple[ElementTree.Element, int, int]:
    result = entry.result
    failures = errors = 0
    suite = ElementTree.Element("testsuite", name=xml_text(f"{entry.candidate}/{entry.exercise}"),
                                tests=str(len(result.checks)), timestamp=entry.graded_at,
                                time=f"{result.durations.get('total_seconds', 0.0):.3f}")
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in (("candidate", entry.candidate), ("exercise", entry.exercise), ("source", entry.source),
                        ("score", result.score), ("max_score", result.max_score), ("status", result.status.value),
                        ("seed", result.seed), ("backend", result.backend), ("task_key", entry.key.digest)):
        ElementTree.SubElement(properties, "property", name=name, value=xml_text(value))
    for check in result.checks:
        case = ElementTree.SubElement(suite, "testcase", name=xml_text(check.name),
                                      classname=xml_text(f"{entry.candidate}.{entry.exercise}"),
                                      time=f"{check.duration_seconds:.3f}")
        case.set("file", xml_text(check.check_id))
        if check.outcome is Outcome.PASSED:
            continue
        is_error = result.error is not None and check.outcome is Outcome.NOT_RUN
        errors += is_error
        failures += not is_error
        detail = check.output or check.outcome.label
        element = ElementTree.SubElement(case, "error" if is_error else "failure",
                                         message=xml_text(_first_line(detail) or check.outcome.label),
                                         type=check.outcome.value)
        element.text = xml_text(detail + (f"\n\nprinted:\n{check.candidate_output}" if check.candidate_output else ""))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    if result.output or result.error:
        ElementTree.SubElement(suite, "system-out").text = xml_text(
            "\n\n".join(part for part in (result.error, result.output) if part))
    return suite, failures, errors


def junit_xml(entries: list[GradebookEntry]) -> ElementTree.ElementTree:
    """Build the JUnit XML document of ``entries``."""
    root = ElementTree.Element("testsuites", name="ml-grader gradebook")
    tests = failures = errors = 0
    for entry in entries:
        suite, suite_failures, suite_errors = _suite(entry)
        root.append(suite)
        tests += len(entry.result.checks)
        failures += suite_failures
        errors += suite_errors
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    ElementTree.indent(root)
    return ElementTree.ElementTree(root)
