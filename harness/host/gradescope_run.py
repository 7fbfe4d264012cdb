"""Grade one Gradescope submission: what ``run_autograder`` runs inside Gradescope's container.

    python -m harness.host.gradescope_run --config autograder.json --submission DIR --results results.json

For each exercise of the autograder it finds the submitted module or notebook (at the top of the
submission, or in a folder named after the exercise), grades it with the local backend, and writes
one ``results.json`` in Gradescope's format: one test per check (named ``exercise: check`` when there
are several exercises), visibility as each check declares.  Whatever goes wrong, a results.json is
written: a submission that cannot be graded scores 0 with the reason, and a failure of the grader
itself scores 0 with "Grading error", never points.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from harness.errors import BadInput
from harness.host.batch.gradescope import gradescope_results
from harness.host.grading import grade_submission, unrun_result
from harness.project import Exercise, get_exercise
from harness.wire.results import Outcome, RunResult
from harness.wire.spec import parse_salt
from harness.wire.text import clean_text

CONFIG_FORMAT = "ml-grader gradescope autograder"


def read_config(path: Path) -> dict:
    """The autograder's configuration; ValueError saying what is wrong with it."""
    config = json.loads(Path(path).read_text(encoding="utf-8"))
    if config.get("format") != CONFIG_FORMAT or not isinstance(config.get("exercises"), list):
        raise ValueError(f"{path} is not an ml-grader autograder configuration")
    parse_salt(config["data_secret"])
    return config


def locate(submission: Path, exercise: Exercise) -> Path:
    """Where the exercise's code is in the submission: its own folder if there is one, else the top."""
    for name in (exercise.slug, exercise.slug.replace("_", "-")):
        folder = submission / name
        if folder.is_dir() and not folder.is_symlink():
            return folder
    return submission


def _grade(submission: Path, slug: str, config: dict) -> RunResult:
    exercise = get_exercise(slug)
    seed = int(config.get("seed", 0))
    try:
        return grade_submission(
            path=locate(submission, exercise),
            exercise=slug,
            seed=seed,
            backend="local",
            include_hidden=bool(config.get("include_hidden", True)),
            data_secret=config["data_secret"],
            prefer="newest",
        )
    except BadInput as problem:  # nothing gradable was handed in: 0, with the reason
        return unrun_result(
            exercise,
            include_hidden=True,
            seed=seed,
            message=clean_text(problem),
            outcome=Outcome.FAILED,
            output=clean_text(problem),
        )
    except Exception as error:
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        message = f"grading failed unexpectedly: {clean_text(detail)}"
        return unrun_result(
            exercise,
            include_hidden=True,
            seed=seed,
            message=message,
            outcome=Outcome.NOT_RUN,
            output=message,
            error=message,
        )


def merge(results: dict[str, RunResult]) -> dict:
    """One Gradescope results.json for the results of every exercise."""
    if len(results) == 1:
        return gradescope_results(next(iter(results.values())))
    merged: dict = {"score": 0.0, "execution_time": 0, "output": "", "tests": []}
    outputs = []
    for slug, result in results.items():
        part = gradescope_results(result)
        merged["score"] += part["score"]
        merged["execution_time"] += part["execution_time"]
        outputs.append(
            f"{slug}: {result.score:g} / {result.max_score:g}" + (f"\n{part['output']}" if part["output"] else "")
        )
        for test in part["tests"]:
            merged["tests"].append({**test, "name": f"{slug}: {test['name']}"})
    merged["output"] = "\n\n".join(outputs)
    return merged


def write_results(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2, ensure_ascii=True) + "\n", encoding="utf-8")
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--submission", type=Path, required=True)
    parser.add_argument("--results", type=Path, required=True)
    arguments = parser.parse_args(argv)
    try:
        config = read_config(arguments.config)
        results = {slug: _grade(arguments.submission, slug, config) for slug in config["exercises"]}
        data = merge(results)
    except Exception as error:
        data = {
            "score": 0.0,
            "output": f"Grading error: {clean_text(error)}. Nothing of this submission was "
            "scored; ask your instructor to grade it again.",
            "tests": [],
        }
        write_results(arguments.results, data)
        return 3
    write_results(arguments.results, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
