"""Run a batch: find every candidate's submissions, grade what the gradebook lacks, record each result.

Threads call :func:`harness.host.grading.grade_submission`, each run in its own
subprocesses; whatever a submission does, or whatever goes wrong grading it,
ends as a result for that task, and the batch goes on.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness.errors import BadInput
from harness.host.backends.standby import keep_warm_below_cores
from harness.host.batch.cohort import CohortOptions, cohort_view
from harness.host.batch.discovery import IGNORED_ENTRIES, Task, detect_exercises, find_candidates, plan_tasks
from harness.host.batch.gradebook import Gradebook, GradebookEntry
from harness.host.batch.keys import TaskKey, grader_hash
from harness.host.batch.layouts import arrange
from harness.host.batch.writer import GradebookWriter
from harness.host.grading import choose_backend, grade_submission, unrun_result
from harness.project import Exercise, all_exercises, get_exercise
from harness.wire.results import Outcome, RunResult
from harness.wire.text import clean_name, clean_text


class BatchObserver:
    """Be told how a batch goes; the default says nothing."""

    def start(self, *, total: int, skipped: int) -> None:
        """Hear how many tasks will be graded and how many were already in the gradebook."""

    def recorded(self, entry: GradebookEntry) -> None:
        """Hear that one result was written to the gradebook."""


@dataclass
class BatchSummary:
    """What a batch did."""

    candidates: int
    exercises: list[str]
    total: int
    graded: int
    skipped: int
    errors: int = 0
    ignored: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    cohort: dict = field(default_factory=dict)
    cluster: object | None = None  # ShippingStats of a --cluster batch


def problem_result(
    exercise: Exercise, *, seed: int, include_hidden: bool, message: str, grading_error: bool = False
) -> RunResult:
    """Make the result of a task that could not be graded: every check at 0 with ``message``."""
    result = unrun_result(
        exercise,
        include_hidden=include_hidden,
        seed=seed,
        message=message,
        outcome=Outcome.NOT_RUN if grading_error else Outcome.FAILED,
        output=message,
        error=message if grading_error else None,
    )
    result.durations["total_seconds"] = 0.0
    return result


def grade_task(
    task: Task, *, seed: int, backend: str, include_hidden: bool, data_secret: str, prefer: str | None = None
) -> RunResult:
    """Grade one task, turning any failure to grade into that task's result."""
    if task.path is None:
        result = problem_result(
            task.exercise, seed=seed, include_hidden=include_hidden, message=task.problem or "not graded"
        )
    else:
        try:
            result = grade_submission(
                path=task.path,
                exercise=task.exercise.slug,
                seed=seed,
                backend=backend,
                include_hidden=include_hidden,
                data_secret=data_secret,
                prefer=prefer,
            )
        except BadInput as problem:  # nothing gradable in what this candidate handed in: it scores 0
            result = problem_result(
                task.exercise, seed=seed, include_hidden=include_hidden, message=clean_text(problem)
            )
        except Exception as error:
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            result = problem_result(
                task.exercise,
                seed=seed,
                include_hidden=include_hidden,
                grading_error=True,
                message=f"grading this submission failed unexpectedly: {detail}",
            )
    result.backend = result.backend or backend
    return result


def _exercises(names: list[str] | None) -> list[Exercise] | None:
    if not names:
        return None
    chosen = [get_exercise(name) for name in dict.fromkeys(names)]
    return chosen


def run_batch(
    *,
    submissions_dir: Path,
    gradebook: Path,
    exercises: list[str] | None = None,
    jobs: int = 1,
    seed: int = 0,
    backend: str = "auto",
    include_hidden: bool = True,
    retry_errors: bool = False,
    data_secret: str | None = None,
    observer: BatchObserver | None = None,
    cohort: CohortOptions | None = None,
    cluster: str | None = None,
    notify: Callable[..., None] = lambda message, always=False: None,
) -> BatchSummary:
    """Grade every candidate in ``submissions_dir`` into ``gradebook``, skipping results already recorded.

    ``retry_errors`` grades again the tasks whose recorded result is a grading
    error (the backend failed, not the submission), even if their key is unchanged.
    The gradebook keeps one data secret (drawn when it is made, or ``data_secret``),
    so that grading again gives the same check data.  With ``cluster`` (a Dask
    scheduler's address, or ``local:N``) the tasks are graded on its workers, see
    :mod:`harness.host.batch.cluster`; the gradebook is written here only.
    """
    if jobs < 1:
        raise ValueError(f"-j must be at least 1, not {jobs}")
    cores = os.cpu_count() or 1
    if jobs > cores and cluster is None:
        notify(
            f"-j {jobs} is more than this machine's {cores} cores: jobs will wait for each other, and the "
            "slowest may be stopped as 'machine overloaded' grading errors (retry them with --retry-errors)"
        )
    observer = observer or BatchObserver()
    cohort = cohort or CohortOptions()
    chosen = _exercises(exercises)
    choice = None
    if cluster is None:
        choice = choose_backend(backend)
        for message in (choice.reason and f"using the local backend: {choice.reason}", choice.backend.notice()):
            if message:
                notify(message)
    book = Gradebook(gradebook)
    secret = book.data_secret(data_secret)
    known = all_exercises()
    with tempfile.TemporaryDirectory(prefix="grade-batch-") as scratch:
        if not Path(submissions_dir).is_dir():
            raise ValueError(f"{submissions_dir} is not a folder of submissions")
        arranged, unmatched = arrange(
            Path(submissions_dir), layout=cohort.layout, pattern=cohort.pattern, scratch=Path(scratch) / "arranged"
        )
        discovery = find_candidates(
            arranged,
            unpack_dir=Path(scratch) / "unpacked",
            roster=cohort.roster,
            slugs={exercise.slug for exercise in known},
        )
        discovery.ignored += [
            clean_name(name) for name in unmatched if name not in IGNORED_ENTRIES and not name.startswith(".")
        ]
        if not discovery.candidates and cohort.roster is None:
            raise ValueError(f"{submissions_dir} holds no candidate folders or zip files")
        chosen = chosen or detect_exercises(discovery.candidates, known)
        if not chosen:
            raise ValueError(
                f"no exercise was found in the submissions in {submissions_dir} "
                f"(known exercises: {', '.join(e.slug for e in known) or 'none'}); "
                "name them with --exercises"
            )
        tasks = plan_tasks(
            discovery.candidates,
            chosen,
            roster=cohort.roster,
            accept_fuzzy=cohort.accept_fuzzy,
            fuzzy_dir=Path(scratch) / "fuzzy",
        )
        graders = {exercise.slug: grader_hash(exercise) for exercise in chosen}
        session = None
        if cluster is not None:
            from harness.host.batch.cluster import ClusterSession  # Dask is imported only for --cluster

            session = ClusterSession(cluster, exercises=chosen, graders=graders, notify=notify).__enter__()
        try:
            local_backend = choice.backend if choice is not None else None
            if session is not None:
                images = session.images
            else:
                images = {getattr(local_backend, "image", None) or (local_backend.name if local_backend else "local")}
            recorded = book.recorded_keys(include_errors=not retry_errors)
            pending = []
            for task in tasks:
                keys = [
                    TaskKey(task.submission_hash, graders[task.exercise.slug], image, seed, include_hidden)
                    for image in sorted(images)
                ]
                if recorded.get((task.candidate, task.exercise.slug)) not in {key.digest for key in keys}:
                    pending.append((task, keys[0]))
            summary = BatchSummary(
                candidates=len(discovery.candidates),
                exercises=[e.slug for e in chosen],
                total=len(tasks),
                graded=len(pending),
                skipped=len(tasks) - len(pending),
                ignored=discovery.ignored,
                unknown=discovery.unknown,
            )
            observer.start(total=len(pending), skipped=summary.skipped)

            def written(entry: GradebookEntry) -> None:
                summary.errors += entry.result.error is not None
                observer.recorded(entry)

            with GradebookWriter(book, on_written=written) as writer:

                def record(task: Task, key: TaskKey, result: RunResult) -> None:
                    result.backend = result.backend or (choice.backend.name if choice else "cluster")
                    result.submission = {**result.submission, "path": task.display, "candidate": task.candidate}
                    if result.image and result.image != key.image:  # the image the run really used
                        key = replace(key, image=result.image)
                    writer.put(GradebookEntry(task.candidate, task.exercise.slug, key, task.display, result.clean()))

                quick = [(task, key) for task, key in pending if task.path is None]
                slow = [(task, key) for task, key in pending if task.path is not None]
                for task, key in quick:
                    record(
                        task,
                        key,
                        grade_task(
                            task,
                            seed=seed,
                            backend=choice.backend.name if choice else "cluster",
                            include_hidden=include_hidden,
                            data_secret=secret,
                        ),
                    )
                if session is not None:
                    session.grade_all(
                        slow,
                        seed=seed,
                        include_hidden=include_hidden,
                        data_secret=secret,
                        prefer=cohort.prefer,
                        record=record,
                        problem=lambda task, message, error: problem_result(
                            task.exercise,
                            seed=seed,
                            include_hidden=include_hidden,
                            message=message,
                            grading_error=error,
                        ),
                    )
                    summary.cluster = session.stats
                else:
                    _grade_locally(
                        slow,
                        jobs=jobs,
                        record=record,
                        grade=lambda task: grade_task(
                            task,
                            seed=seed,
                            backend=local_backend.name if local_backend else "local",
                            include_hidden=include_hidden,
                            data_secret=secret,
                            prefer=cohort.prefer,
                        ),
                    )
        finally:
            if session is not None:
                session.close()
        summary.cohort = cohort_view(book=book, discovery=discovery, tasks=tasks, exercises=chosen, options=cohort)
    return summary


def _grade_locally(pending: list[tuple[Task, TaskKey]], *, jobs: int, record, grade) -> None:
    """Grade ``pending`` in ``jobs`` threads, each grading in its own subprocesses."""
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade-batch")
    # Below one job per core, each run starts the next one's grader and worker while it grades (warm standbys).
    with keep_warm_below_cores(jobs):
        try:
            futures = [
                pool.submit(lambda task, key: record(task, key, grade(task)), task, key) for task, key in pending
            ]
            wait(futures)
            for future in futures:
                future.result()  # a failure to queue a result (the gradebook is unwritable) stops the batch
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    pool.shutdown()
