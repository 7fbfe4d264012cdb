"""The local backend: the grader and worker as plain subprocesses of this machine.

Deadlines and memory limits still hold, but the submission is not isolated: it
runs as your user, can read your files and reach the network.  Use it for
development and on machines without Docker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.host.backends.base import (
    RESULT_FILE_NAME,
    SPEC_FILE_NAME,
    stage_grader,
    Backend,
    RunOutput,
    RunRequest,
    read_result_file,
    trim_log,
)
from harness.project import HARNESS_PARENT


class LocalBackend(Backend):
    name = "local"

    def notice(self) -> str:
        return ("local backend: the submission runs WITHOUT isolation (as your user, with your files "
                "and network); deadlines and memory limits still apply.")

    def run(self, request: RunRequest) -> RunOutput:
        with tempfile.TemporaryDirectory(prefix="grade-run-") as run_dir:
            os.chmod(run_dir, 0o700)
            grader_dir = stage_grader(request, Path(run_dir) / "grader")
            results_dir = Path(run_dir) / "results"
            results_dir.mkdir(mode=0o700)
            spec_file = request.spec(grader_dir=str(grader_dir), submission_dir=str(request.submission_dir),
                                     results_dir=str(results_dir)).write(results_dir / SPEC_FILE_NAME)
            command = [sys.executable, *request.runner_arguments(spec_file=str(spec_file))]
            environment = dict(os.environ, PYTHONPATH=str(HARNESS_PARENT), PYTHONDONTWRITEBYTECODE="1",
                               TF_CPP_MIN_LOG_LEVEL="2")
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, env=environment, start_new_session=True)
            failure = None
            try:
                log, _ = process.communicate(timeout=request.wall_timeout_seconds)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                log, _ = process.communicate()
                failure = f"the grading run exceeded its wall-clock limit of {request.wall_timeout_seconds:g} s"
            except BaseException:
                _kill_group(process)
                process.wait()
                raise
            finally:
                _kill_group(process)  # a worker left behind by a crashed grader
            result, problem = read_result_file(results_dir / RESULT_FILE_NAME)
            if failure is None and result is None:
                failure = f"{problem} (grader exit code {process.returncode})"
            return RunOutput(result=result, failure=failure,
                             log=trim_log(log.decode("utf-8", "replace")))


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
