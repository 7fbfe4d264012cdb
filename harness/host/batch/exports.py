"""Export a gradebook: wide and long CSV, JSON, Gradescope results.json files and JUnit XML.

Exports read only the gradebook, never the graders, so they work on any
gradebook file, on any machine.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from harness.host.batch.gradebook import Gradebook, GradebookEntry
from harness.host.batch.gradescope import gradescope_results
from harness.host.batch.junit import junit_xml
from harness.host.sinks import csv_cell, file_name_for

WIDE_CSV = "grades_wide.csv"
LONG_CSV = "grades_long.csv"
JSON_FILE = "gradebook.json"
JUNIT_FILE = "junit.xml"
GRADESCOPE_DIR = "gradescope"
EXPORT_FORMAT_VERSION = 1
LONG_COLUMNS = ("candidate", "exercise", "check_id", "check", "visibility", "outcome", "status", "score",
                "max_score", "message")


def exercises_of(entries: list[GradebookEntry]) -> list[str]:
    return sorted({entry.exercise for entry in entries})


def by_candidate(entries: list[GradebookEntry]) -> dict[str, dict[str, GradebookEntry]]:
    """Group entries as {candidate: {exercise: entry}}, candidates in order."""
    grouped: dict[str, dict[str, GradebookEntry]] = {}
    for entry in sorted(entries, key=lambda entry: (entry.candidate, entry.exercise)):
        grouped.setdefault(entry.candidate, {})[entry.exercise] = entry
    return grouped


def write_wide_csv(entries: list[GradebookEntry], path: Path) -> None:
    """Write one row per candidate, one column per exercise, then the total and its maximum."""
    exercises = exercises_of(entries)
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["candidate", *exercises, "total", "max_total"])
        for candidate, results in by_candidate(entries).items():
            row = [csv_cell(candidate)]
            for exercise in exercises:
                row.append(f"{results[exercise].result.score:g}" if exercise in results else "")
            row.append(f"{sum(entry.result.score for entry in results.values()):g}")
            row.append(f"{sum(entry.result.max_score for entry in results.values()):g}")
            writer.writerow(row)


def write_long_csv(entries: list[GradebookEntry], path: Path) -> None:
    """Write one row per check of every submission."""
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(LONG_COLUMNS)
        for entry in entries:
            for check in entry.result.checks:
                writer.writerow([csv_cell(entry.candidate), entry.exercise, check.check_id, csv_cell(check.name),
                                 check.visibility, check.outcome.value, check.outcome.gradescope_status,
                                 f"{check.score:g}", f"{check.max_score:g}", csv_cell(check.output)])


def gradebook_json(entries: list[GradebookEntry]) -> dict:
    """Return the whole gradebook as one JSON document."""
    candidates = []
    for candidate, results in by_candidate(entries).items():
        candidates.append({
            "candidate": candidate,
            "total": round(sum(entry.result.score for entry in results.values()), 6),
            "max_total": round(sum(entry.result.max_score for entry in results.values()), 6),
            "results": [{
                "exercise": entry.exercise,
                "source": entry.source,
                "graded_at": entry.graded_at,
                "task_key": entry.key.digest,
                "submission_hash": entry.key.submission,
                "grader_hash": entry.key.grader,
                "image": entry.key.image,
                "seed": entry.key.seed,
                "include_hidden": entry.key.include_hidden,
                "result": entry.result.to_json(),
            } for entry in results.values()],
        })
    return {"format": "ml-grader gradebook", "version": EXPORT_FORMAT_VERSION,
            "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "exercises": exercises_of(entries), "candidates": candidates}


def write_gradescope(entries: list[GradebookEntry], folder: Path) -> list[Path]:
    """Write ``<candidate>/<exercise>/results.json`` for every submission under ``folder``."""
    written = []
    for entry in entries:
        path = folder / file_name_for(entry.candidate) / entry.exercise / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(gradescope_results(entry.result), indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        written.append(path)
    return written


def write_json(entries: list[GradebookEntry], path: Path) -> None:
    """Write the whole gradebook as one JSON document."""
    path.write_text(json.dumps(gradebook_json(entries), indent=2, ensure_ascii=True) + "\n", encoding="utf-8")


def write_junit(entries: list[GradebookEntry], path: Path) -> None:
    """Write JUnit XML: a testsuite per submission, a testcase per check."""
    junit_xml(entries).write(path, encoding="utf-8", xml_declaration=True)


@dataclass(frozen=True)
class Exporter:
    """One export format: where it writes, relative to the export folder, and how."""

    target: str
    write: Callable[[list[GradebookEntry], Path], object]
    is_folder: bool = False


# Every export format, by the name `grade export --format` takes. Add a format here and nowhere else.
EXPORTERS: dict[str, Exporter] = {
    "csv-wide": Exporter(WIDE_CSV, write_wide_csv),
    "csv-long": Exporter(LONG_CSV, write_long_csv),
    "json": Exporter(JSON_FILE, write_json),
    "junit": Exporter(JUNIT_FILE, write_junit),
    "gradescope": Exporter(GRADESCOPE_DIR, write_gradescope, is_folder=True),
}


def export_gradebook(*, gradebook: Path, out_dir: Path, formats: list[str] | None = None) -> list[Path]:
    """Write the exports of the gradebook file ``gradebook`` (every format, or ``formats``) into ``out_dir``."""
    unknown = sorted(set(formats or ()) - set(EXPORTERS))
    if unknown:
        raise ValueError(f"unknown export format {', '.join(unknown)}; choose from {', '.join(EXPORTERS)}")
    entries = Gradebook(gradebook, create=False).entries()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in formats or EXPORTERS:
        exporter = EXPORTERS[name]
        result = exporter.write(entries, out_dir / exporter.target)
        written += list(result) if exporter.is_folder else [out_dir / exporter.target]
    return written
