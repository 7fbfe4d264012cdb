"""The local backend: the grader and worker as plain subprocesses of this machine.

What it keeps:

- CPU-second budgets, the wall-clock backstop and the memory limit of every call;
- every process the submission starts is found and killed at the end, even one that calls
  ``setsid()`` (a cgroup of the run where the host allows one, else the grader as subreaper);
- the worker starts with ``-P -s`` in a fresh private folder, so no planted module in the working
  folder or in ``/tmp`` can replace harness code;
- the run specification (and its data secret) is read and removed by the grader before the
  worker starts, and the grader's files sit in a folder of mode 0700;
- when ``grade`` runs as root, the worker runs as a separate unprivileged user (uid
  :data:`WORKER_UID`), so it cannot read the grader's files, the gradebook or other processes'
  memory, provided that user can reach Python and the harness (otherwise it runs as root, and
  says so).

What it does not keep: the network is open, and a worker that runs as your own user can read
and write whatever you can (your files, a gradebook, the staged hidden checks while the run
lasts). Use the docker backend for anything you do not trust.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.grader.containment import join_cgroup, make_run_cgroup, remove_run_cgroup
from harness.grader.portability import limits_not_enforced
from harness.host.backends.base import (
    PROGRESS_FILE_NAME,
    RESULT_FILE_NAME,
    SPEC_FILE_NAME,
    Backend,
    ProgressCallback,
    ProgressTail,
    RunOutput,
    RunRequest,
    read_result_file,
    stage_grader,
    trim_log,
)
from harness.host.backends.standby import STANDBYS, run_key
from harness.project import HARNESS_PARENT

WORKER_UID = 64_101  # a uid no login uses; needs no passwd entry


def others_can_reach(path: Path) -> bool:
    """Tell whether a user with no special rights can traverse to ``path`` and read it."""
    path = Path(path).resolve()
    for folder in [*reversed(path.parents), path] if path.is_dir() else reversed(path.parents):
        try:
            mode = folder.stat().st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    try:
        return bool(path.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


def separate_worker_user() -> tuple[int | None, str | None]:
    """The uid to run workers as (when ``grade`` runs as root), or None and the reason it cannot be done."""
    if os.geteuid() != 0:
        return None, None
    needed = [
        Path(sys.executable),
        Path(sysconfig.get_paths()["stdlib"]),
        Path(sysconfig.get_paths()["purelib"]),
        HARNESS_PARENT / "harness",
    ]
    unreachable = [str(path) for path in needed if not others_can_reach(path)]
    if unreachable:
        return None, (
            f"the worker runs as root: a separate user could not reach {unreachable[0]} "
            "(install Python and the harness where every user can read them)"
        )
    return WORKER_UID, None


class LocalBackend(Backend):
    name = "local"

    def __init__(self):
        self.worker_uid, self.uid_problem = separate_worker_user()

    def notice(self) -> str:
        who = "another user" if self.worker_uid is not None else "you"
        missing = limits_not_enforced()
        return f"local backend: your code runs without isolation (as {who}, with the network); -v says more" + (
            f". On this system: {'; '.join(missing)}" if missing else ""
        )

    def details(self) -> str:
        who = (
            f"as the unprivileged uid {self.worker_uid}"
            if self.worker_uid is not None
            else "as your user, with your files"
        )
        return (
            f"local backend: the submission runs {who}, with the network; CPU budgets, memory limits and "
            "process clean-up still apply; use the docker backend for code you do not trust."
            + (f" {self.uid_problem}." if self.uid_problem else "")
        )

    def run(self, request: RunRequest, *, on_progress: ProgressCallback | None = None) -> RunOutput:
        taken = STANDBYS.take(_standby_key(request, self.worker_uid))
        launched = taken if isinstance(taken, _Launched) else None
        if STANDBYS.enabled:
            STANDBYS.add(self._launch(request, standby=True))  # warm for the next run while this one grades
        if launched is None:
            launched = self._launch(request, standby=False)
        try:
            with ProgressTail(launched.results_dir / PROGRESS_FILE_NAME, on_progress):
                return self._finish(request, launched)
        finally:
            launched.close()  # ends anything the run left, setsid() daemons included

    def _launch(self, request: RunRequest, *, standby: bool) -> _Launched:
        """Stage the grader and start its process: on ``request``'s spec, or as a standby that waits for one."""
        run_cgroup = make_run_cgroup()
        run_dir = tempfile.TemporaryDirectory(prefix="grade-run-")
        launched = _Launched(_standby_key(request, self.worker_uid), Path(run_dir.name), run_dir, run_cgroup)
        try:
            os.chmod(launched.run_dir, 0o700)
            grader_dir = stage_grader(request, launched.run_dir / "grader")
            launched.results_dir.mkdir(mode=0o700)
            grader_cgroup = None
            if run_cgroup is not None:
                grader_cgroup = run_cgroup / "grader"
                grader_cgroup.mkdir()
            if standby:
                arguments = ["-m", "harness.grader.runner", "--standby", "--grader-dir", str(grader_dir)]
                arguments += ["--threads", str(request.threads)]
                arguments += ["--worker-user", str(self.worker_uid)] if self.worker_uid is not None else []
                arguments += ["--cgroup", str(run_cgroup)] if run_cgroup is not None else []
            else:
                arguments = request.runner_arguments(spec_file=str(self._write_spec(request, launched)))
            environment = dict(
                os.environ,
                PYTHONPATH=str(HARNESS_PARENT),
                PYTHONDONTWRITEBYTECODE="1",
                PYTHONSAFEPATH="1",
                TF_CPP_MIN_LOG_LEVEL="2",
            )
            launched.process = subprocess.Popen(
                [sys.executable, "-P", "-s", *arguments],
                stdin=subprocess.PIPE if standby else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=launched.run_dir,
                start_new_session=True,
            )
            if grader_cgroup is not None:
                join_cgroup(grader_cgroup, launched.process.pid)
        except BaseException:
            launched.close()
            raise
        return launched

    def _write_spec(self, request: RunRequest, launched: _Launched) -> Path:
        return request.spec(
            grader_dir=str(launched.run_dir / "grader"),
            submission_dir=str(request.submission_dir),
            results_dir=str(launched.results_dir),
            worker_user=self.worker_uid,
            cgroup=str(launched.run_cgroup) if launched.run_cgroup else None,
        ).write(launched.results_dir / SPEC_FILE_NAME)

    def _finish(self, request: RunRequest, launched: _Launched) -> RunOutput:
        """Hand a standby its spec (a started run has one), wait for the grader, read its result."""
        process = launched.process
        if process is None:
            raise RuntimeError("the grader process was never started")
        if process.stdin is not None:
            try:
                process.stdin.write(f"{self._write_spec(request, launched)}\n".encode())
                process.stdin.close()
            except OSError:
                pass  # a standby that died: no result, reported below as the grader's failure
            process.stdin = None  # handed over: communicate() must not touch it
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
        result, problem = read_result_file(launched.results_dir / RESULT_FILE_NAME)
        if failure is None and result is None:
            failure = f"{problem} (grader exit code {process.returncode})"
        return RunOutput(result=result, failure=failure, log=trim_log(log.decode("utf-8", "replace")))


def _standby_key(request: RunRequest, worker_uid: int | None) -> tuple:
    return run_key(request, "local", worker_uid)


@dataclass
class _Launched:
    """One grader process with its private run folder and cgroup: running a spec, or a standby."""

    key: tuple
    run_dir: Path
    holder: tempfile.TemporaryDirectory
    run_cgroup: Path | None
    process: subprocess.Popen | None = None

    @property
    def results_dir(self) -> Path:
        return self.run_dir / "results"

    def waiting(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def close(self) -> None:
        if self.process is not None:
            _kill_group(self.process)
            if self.process.stdin is not None and not self.process.stdin.closed:
                self.process.stdin.close()
            self.process.wait()
            for stream in (self.process.stdout,):
                if stream is not None:
                    stream.close()
        remove_run_cgroup(self.run_cgroup)
        self.holder.cleanup()


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
