"""The grader process: run one exercise's checks against one submission and write the result.

    python -m harness.runner --grader-dir graders/cnn --submission exercises/cnn/cnn.py \\
        --seed 0 --results /results/result.json [--include-hidden] [--worker-user candidate]

This process is trusted.  It never imports the candidate's module: a
:class:`~harness.proxy.Submission` starts a separate worker for that.  It runs
the same way on the host (local backend) and in a container (docker backend).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from harness.catalogue import HIDDEN_CHECKS_FILE, PUBLIC_CHECKS_FILE, load_exercise
from harness.proxy import Submission
from harness.results import CheckResult, Outcome, RunResult
from harness.versions import library_versions

RUN_BUDGET_MARGIN_SECONDS = 3.0
RECORD_CALLS_VARIABLE = "GRADE_RECORD_CALLS"  # benchmarks: write every request sent to the worker here


def run_checks(*, grader_dir: Path, submission_file: Path, seed: int, include_hidden: bool,
               worker_user: str | None = None, quiet: bool = True) -> RunResult:
    """Run the grader's checks against the submission in a fresh worker and return the result."""
    started = time.perf_counter()
    exercise = load_exercise(grader_dir)
    run_deadline = time.monotonic() + exercise.time_budget_seconds - RUN_BUDGET_MARGIN_SECONDS
    submission = Submission(submission_file, seed=seed, limits=exercise.limits,
                            run_deadline=run_deadline, worker_user=worker_user,
                            record_to=Path(os.environ[RECORD_CALLS_VARIABLE]) if os.environ.get(
                                RECORD_CALLS_VARIABLE) else None)
    submission.spawn()  # the worker imports the candidate's libraries while pytest starts up here
    if str(grader_dir) not in sys.path:
        sys.path.insert(0, str(grader_dir))  # helper modules beside the checks import by name
    import pytest

    from harness.plugin import GradingPlugin

    plugin = GradingPlugin(submission=submission, seed=seed)
    files = [str(grader_dir / PUBLIC_CHECKS_FILE)]
    if include_hidden and (grader_dir / HIDDEN_CHECKS_FILE).exists():
        files.append(str(grader_dir / HIDDEN_CHECKS_FILE))
    arguments = [
        *files,
        "--rootdir", str(grader_dir),
        "--confcutdir", str(grader_dir),
        "-c", os.devnull,
        "-p", "no:cacheprovider",
        "-p", "no:randomly",
        "-W", "ignore::DeprecationWarning",
        "--tb=no",
        "-q" if quiet else "-v",
    ]
    error = None
    try:
        exit_code = pytest.main(arguments, plugins=[plugin])
        if plugin.collection_errors:
            error = "the grader could not be loaded: " + "; ".join(plugin.collection_errors)
        elif exit_code not in (0, 1):
            error = f"pytest ended with exit code {int(exit_code)}"
    finally:
        submission.close()
    checks = plugin.results()
    for check in checks:
        if check.outcome is Outcome.NOT_RUN and not check.output:
            check.output = "this check did not run"
    import_note = ""
    if submission.import_output:
        import_note = "Output while importing your module:\n" + submission.import_output
    return RunResult(
        exercise=exercise.slug,
        seed=seed,
        checks=checks,
        output=import_note,
        error=error,
        durations={
            "grader_seconds": round(time.perf_counter() - started, 3),
            "worker_peak_rss_mb": round(submission.peak_rss_mb, 1),
            "worker_starts": float(submission.starts),
        },
        versions=library_versions(),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grader-dir", type=Path, required=True)
    parser.add_argument("--submission", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--include-hidden", action="store_true")
    parser.add_argument("--worker-user", default=None)
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args(argv)
    try:
        result = run_checks(
            grader_dir=options.grader_dir, submission_file=options.submission, seed=options.seed,
            include_hidden=options.include_hidden, worker_user=options.worker_user, quiet=not options.verbose,
        )
    except Exception as error:  # the grader itself failed: say so in a result the host can read
        exercise = load_exercise(options.grader_dir)
        result = RunResult(
            exercise=exercise.slug, seed=options.seed,
            checks=[CheckResult(spec.check_id, spec.name, spec.points, hidden=spec.hidden, output="not run")
                    for spec in exercise.checks_for(include_hidden=options.include_hidden)],
            error=f"the grader failed: {type(error).__name__}: {error}",
            versions=library_versions(),
        )
    temporary = options.results.with_suffix(".partial")
    temporary.write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    temporary.replace(options.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
