"""Export a gradebook: CSV (wide, long), JSON, Gradescope results.json files, JUnit XML, Canvas and Moodle.

Exports read only the gradebook (its results and the cohort view of the last batch), never the
graders, so they work on any gradebook file, on any machine.  Every row carries its status
(full, partial, zero, missing, error); scores in the grade columns are after the late penalty.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from harness.host.batch.gradebook import Gradebook, GradebookEntry
from harness.host.batch.gradescope import gradescope_results
from harness.host.batch.junit import junit_xml
from harness.host.batch.view import GradebookView, by_candidate, exercises_of
from harness.host.sinks import csv_cell, file_name_for

EXPORT_FORMAT_VERSION = 2
LONG_COLUMNS = (
    "candidate",
    "exercise",
    "row_status",
    "check_id",
    "check",
    "visibility",
    "outcome",
    "status",
    "score",
    "max_score",
    "message",
)


def write_wide_csv(view: GradebookView, path: Path) -> None:
    """One row per candidate: per exercise the final score and its status, then the totals."""
    exercises = exercises_of(view.entries)
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            [
                "candidate",
                "name",
                "email",
                *[f"{name}{suffix}" for name in exercises for suffix in ("", " status", " days late")],
                "total",
                "max_total",
            ]
        )
        for candidate, results in by_candidate(view.entries).items():
            member = view.members.get(candidate)
            row = [
                csv_cell(candidate),
                csv_cell(member.name if member else ""),
                csv_cell(member.email if member else ""),
            ]
            total = 0.0
            for exercise in exercises:
                if exercise not in results:
                    row += ["", "", ""]
                    continue
                adjustment = view.adjustment(results[exercise])
                total += adjustment.final_score
                row += [f"{adjustment.final_score:g}", adjustment.row_status, str(adjustment.days_late)]
            row += [f"{total:g}", f"{sum(entry.result.max_score for entry in results.values()):g}"]
            writer.writerow(row)


def write_long_csv(view: GradebookView, path: Path) -> None:
    """One row per check of every submission (scores before any late penalty)."""
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(LONG_COLUMNS)
        for entry in view.entries:
            status = view.adjustment(entry).row_status
            for check in entry.result.checks:
                writer.writerow(
                    [
                        csv_cell(entry.candidate),
                        entry.exercise,
                        status,
                        check.check_id,
                        csv_cell(check.name),
                        check.visibility,
                        check.outcome.value,
                        check.outcome.gradescope_status,
                        f"{check.score:g}",
                        f"{check.max_score:g}",
                        csv_cell(check.output),
                    ]
                )


def gradebook_json(view: GradebookView) -> dict:
    """The whole gradebook as one JSON document."""
    candidates = []
    for candidate, results in by_candidate(view.entries).items():
        member = view.members.get(candidate)
        candidates.append(
            {
                "candidate": candidate,
                "name": member.name if member else "",
                "email": member.email if member else "",
                "on_roster": bool(member and member.on_roster),
                "total": round(sum(view.adjustment(entry).final_score for entry in results.values()), 6),
                "max_total": round(sum(entry.result.max_score for entry in results.values()), 6),
                "not_graded_files": view.accounting.get(candidate, []),
                "results": [
                    {
                        "exercise": entry.exercise,
                        "status": view.adjustment(entry).row_status,
                        "final_score": view.adjustment(entry).final_score,
                        "submitted_at": view.adjustment(entry).submitted_at,
                        "submission_time_source": view.adjustment(entry).time_source,
                        "days_late": view.adjustment(entry).days_late,
                        "penalty_percent": view.adjustment(entry).penalty_percent,
                        "notes": list(view.adjustment(entry).notes),
                        "source": entry.source,
                        "graded_at": entry.graded_at,
                        "task_key": entry.key.digest,
                        "submission_hash": entry.key.submission,
                        "grader_hash": entry.key.grader,
                        "image": entry.key.image,
                        "seed": entry.key.seed,
                        "include_hidden": entry.key.include_hidden,
                        "result": entry.result.to_json(),
                    }
                    for entry in results.values()
                ],
            }
        )
    return {
        "format": "ml-grader gradebook",
        "version": EXPORT_FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "exercises": exercises_of(view.entries),
        "last_batch": view.last_batch,
        "flags": [dict(zip(("exercise", "first", "second", "similarity", "kind"), flag)) for flag in view.flags],
        "candidates": candidates,
    }


def write_json(view: GradebookView, path: Path) -> None:
    path.write_text(json.dumps(gradebook_json(view), indent=2, ensure_ascii=True) + "\n", encoding="utf-8")


def write_junit(view: GradebookView, path: Path) -> None:
    junit_xml(
        view.entries, {(entry.candidate, entry.exercise): view.adjustment(entry) for entry in view.entries}
    ).write(path, encoding="utf-8", xml_declaration=True)


def write_gradescope(view: GradebookView, folder: Path) -> list[Path]:
    """Write ``<candidate>/<exercise>/results.json`` for every submission under ``folder``."""
    written = []
    for entry in view.entries:
        path = folder / file_name_for(entry.candidate) / entry.exercise / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(gradescope_results(entry.result, view.adjustment(entry)), indent=2, ensure_ascii=True) + "\n",
            encoding="utf-8",
        )
        written.append(path)
    return written


def _lms_score(view: GradebookView, entry: GradebookEntry | None) -> str:
    """The score an LMS imports: after the late penalty; empty where nothing was handed in (or no row), so that
    the LMS's own missing-submission policy applies and no grade it already holds is overwritten."""
    if entry is None or view.adjustment(entry).row_status == "missing":
        return ""
    return f"{view.adjustment(entry).final_score:g}"


def write_canvas(view: GradebookView, path: Path) -> None:
    """Canvas's gradebook import CSV: Student, ID, SIS User ID, SIS Login ID, Section, then one column per
    exercise; the second row gives each column's points possible, as Canvas's own exports do."""
    exercises = exercises_of(view.entries)
    maxima = {
        exercise: max(
            entry.result.max_score for entry in view.entries if entry.exercise == exercise
        )  # grader values only
        for exercise in exercises
    }
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *exercises])
        writer.writerow(["Points Possible", "", "", "", "", *[f"{maxima[exercise]:g}" for exercise in exercises]])
        for candidate, results in by_candidate(view.entries).items():
            member = view.members.get(candidate)
            extras = member.extras if member else {}
            writer.writerow(
                [
                    csv_cell(member.name if member else candidate),
                    csv_cell(candidate),
                    csv_cell(extras.get("sis_user_id", "")),
                    csv_cell(extras.get("sis_login_id", member.email if member else "")),
                    csv_cell(extras.get("section", "")),
                    *[_lms_score(view, results.get(exercise)) for exercise in exercises],
                ]
            )


def write_moodle(view: GradebookView, path: Path) -> None:
    """Moodle's grade import CSV: map 'Email address' to useremail (or 'ID number' to useridnumber) when
    importing; one column per exercise, a grade item each."""
    exercises = exercises_of(view.entries)
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["First name", "Last name", "ID number", "Email address", *[f"{exercise} (Real)" for exercise in exercises]]
        )
        for candidate, results in by_candidate(view.entries).items():
            member = view.members.get(candidate)
            first, _, last = (member.name if member else candidate).partition(" ")
            writer.writerow(
                [
                    csv_cell(first),
                    csv_cell(last),
                    csv_cell(candidate),
                    csv_cell(member.email if member else ""),
                    *[_lms_score(view, results.get(exercise)) for exercise in exercises],
                ]
            )


@dataclass(frozen=True)
class Exporter:
    """One export format: where it writes, relative to the export folder, and how."""

    target: str
    write: Callable[[GradebookView, Path], list[Path] | None]
    is_folder: bool = False


# Every export format, by the name `grade export --format` takes. Add a format here and nowhere else.
EXPORTERS: dict[str, Exporter] = {
    "csv-wide": Exporter("grades_wide.csv", write_wide_csv),
    "csv-long": Exporter("grades_long.csv", write_long_csv),
    "json": Exporter("gradebook.json", write_json),
    "junit": Exporter("junit.xml", write_junit),
    "gradescope": Exporter("gradescope", write_gradescope, is_folder=True),
    "canvas": Exporter("canvas_grades.csv", write_canvas),
    "moodle": Exporter("moodle_grades.csv", write_moodle),
}
WIDE_CSV, LONG_CSV, JSON_FILE, JUNIT_FILE, GRADESCOPE_DIR = (
    EXPORTERS[name].target for name in ("csv-wide", "csv-long", "json", "junit", "gradescope")
)


def export_gradebook(*, gradebook: Path, out_dir: Path, formats: list[str] | None = None) -> list[Path]:
    """Write the exports of the gradebook file ``gradebook`` (every format, or ``formats``) into ``out_dir``."""
    unknown = sorted(set(formats or ()) - set(EXPORTERS))
    if unknown:
        raise ValueError(f"unknown export format {', '.join(unknown)}; choose from {', '.join(EXPORTERS)}")
    view = GradebookView.of(Gradebook(gradebook, create=False))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in formats or EXPORTERS:
        exporter = EXPORTERS[name]
        result = exporter.write(view, out_dir / exporter.target)
        written += list(result or []) if exporter.is_folder else [out_dir / exporter.target]
    return written
