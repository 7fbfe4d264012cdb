"""What every backend does: run the grader process for one (submission, exercise) and hand back its result."""

from __future__ import annotations

import abc
import json
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import BadInput
from harness.project import Exercise
from harness.wire.spec import RunSpec

RESULT_FILE_NAME = "result.json"
SPEC_FILE_NAME = "spec.json"
MAX_RESULT_BYTES = 8 * 1024 * 1024
MAX_LOG_CHARS = 20_000
STARTUP_MARGIN_SECONDS = 30.0


class BackendUnavailable(BadInput, RuntimeError):
    """The backend cannot run here (no engine, no image); the message says why."""


@dataclass(frozen=True)
class RunRequest:
    """One grading run: a staged submission, the exercise, the seed and secret, and whether hidden checks run."""

    exercise: Exercise
    submission_dir: Path
    module_file: str
    seed: int
    include_hidden: bool
    data_secret: str = ""
    threads: int = 1
    stop_at_first_failure: bool = False
    only: tuple[str, ...] = ()

    def spec(
        self,
        *,
        grader_dir: str,
        submission_dir: str,
        results_dir: str,
        worker_user: str | int | None = None,
        cgroup: str | None = None,
    ) -> RunSpec:
        """The run specification for the grader process, with paths as that process sees them."""
        if not self.data_secret:
            raise ValueError("a run needs a data secret")
        return RunSpec(
            grader_dir=grader_dir,
            submission_file=f"{submission_dir}/{self.module_file}",
            seed=self.seed,
            data_secret=self.data_secret,
            include_hidden=self.include_hidden,
            results_file=f"{results_dir}/{RESULT_FILE_NAME}",
            worker_user=worker_user,
            threads=self.threads,
            stop_at_first_failure=self.stop_at_first_failure,
            cgroup=cgroup,
            only=self.only,
        )

    @staticmethod
    def runner_arguments(*, spec_file: str) -> list[str]:
        """The command line of the grader process (nothing secret: the secret is in the spec file)."""
        return ["-m", "harness.grader.runner", "--spec", spec_file]

    @property
    def wall_timeout_seconds(self) -> float:
        """How long the host waits for the whole run: the CPU budget's wall-clock backstop, plus start-up."""
        return self.exercise.limits.wall_backstop(self.exercise.time_budget_seconds) + STARTUP_MARGIN_SECONDS


@dataclass
class RunOutput:
    """What came back from a run: the grader's result (not yet validated), or why there is none."""

    result: dict | None
    failure: str | None = None
    log: str = ""
    image: str | None = None


def read_result_file(path: Path) -> tuple[dict | None, str | None]:
    """Read the grader's result file, refusing one that is missing, huge or not JSON."""
    if not path.is_file():
        return None, "the grader process ended without writing a result"
    if path.stat().st_size > MAX_RESULT_BYTES:
        return None, f"the result file is larger than {MAX_RESULT_BYTES:,} bytes"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, f"the result file is not valid JSON: {error}"
    if not isinstance(data, dict):
        return None, "the result file does not hold a JSON object"
    return data, None


def stage_grader(request: RunRequest, destination: Path, *, mode: int = 0o700) -> Path:
    """Copy the grader files the project's file policy gives this run into ``destination`` (folders ``mode``)."""
    destination.mkdir(parents=True)
    os.chmod(destination, mode)
    for source, relative in request.exercise.grader_files(include_hidden=request.include_hidden):
        if source.is_symlink() or not source.is_file():
            raise ValueError(f"refusing to copy {source}: it is not a regular file")
        target = destination / relative
        for folder in reversed(target.relative_to(destination).parents[:-1]):
            if not (destination / folder).exists():
                (destination / folder).mkdir()
                os.chmod(destination / folder, mode)
        shutil.copyfile(source, target, follow_symlinks=False)
        os.chmod(target, mode & 0o666)
    return destination


ProgressCallback = Callable[[dict], None]
PROGRESS_FILE_NAME = "progress.jsonl"
PROGRESS_POLL_SECONDS = 0.2


class ProgressTail(threading.Thread):
    """Follow the grader's progress file and pass each new event on, until stopped."""

    def __init__(self, path: Path, callback: ProgressCallback | None):
        super().__init__(daemon=True, name="grading-progress")
        self.path, self.callback = path, callback
        self._stop_event = threading.Event()
        self._offset = 0

    def __enter__(self) -> ProgressTail:
        if self.callback is not None:
            self.start()
        return self

    def __exit__(self, *exception) -> None:
        if self.callback is not None:
            self._stop_event.set()
            self.join(timeout=2)
            self._read()

    def run(self) -> None:
        while not self._stop_event.wait(PROGRESS_POLL_SECONDS):
            self._read()

    def _read(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read(1 << 20)
        except OSError:
            return
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and self.callback is not None:
                try:
                    self.callback(event)
                except Exception:
                    pass


def trim_log(text: str) -> str:
    if len(text) <= MAX_LOG_CHARS:
        return text
    half = MAX_LOG_CHARS // 2
    return text[:half] + f"\n... [{len(text) - MAX_LOG_CHARS:,} characters trimmed] ...\n" + text[-half:]


class Backend(abc.ABC):
    """Run grader processes somewhere."""

    name: str = ""

    @abc.abstractmethod
    def run(self, request: RunRequest, *, on_progress: ProgressCallback | None = None) -> RunOutput:
        """Run one grading run to the end, whatever happens, and return what it produced.

        ``on_progress`` hears each progress event the grader writes (a check started, a check done).
        """

    def notice(self) -> str | None:
        """A one-line notice for the person running ``grade``, shown every run: only what they must know."""
        return None

    def details(self) -> str | None:
        """More about how runs happen here, shown with ``-v``."""
        return None
