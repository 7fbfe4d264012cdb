"""The docker backend: every grading run in a fresh, locked-down container from the project's image.

Inside the container the grader process (``harness.grader.runner``) runs as root but
with every capability dropped except SETUID, SETGID (to start the worker as
another user) and KILL (to kill that worker); it starts the submission worker
as the unprivileged user ``candidate`` (uid 1001), which has no capabilities at
all.  Per run, the backend stages on the host, in a private temporary folder:

===========================  ===================  ===========================================
host copy of                 container path       who can read it in the container
===========================  ===================  ===========================================
the ``harness`` package      /opt/grader/harness  everyone (read-only)
the grader's files           /grader              the grader only (0700, read-only)
the staged submission        /submission          everyone (read-only)
an empty results folder      /results             the grader only (0700, the grader writes)
===========================  ===================  ===========================================

(When the harness runs as a non-root user, "the grader only" folders are 0750/0770
and the in-container root is given that user's group, as it has no
CAP_DAC_OVERRIDE to read other users' files.)

Only the grader files the project's file policy gives a run are copied
(:meth:`harness.project.Exercise.grader_files`): never ``mutants/``, variants,
solutions, or ``test_hidden.py`` unless the run includes hidden checks.  No network, a
read-only root file system with a tmpfs ``/tmp``, memory limit equal to
memory+swap, pids limit, CPU quota, a wall-clock timeout, capped logs; the
container is removed whatever happens.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from harness.host.backends.base import (
    PROGRESS_FILE_NAME,
    RESULT_FILE_NAME,
    SPEC_FILE_NAME,
    Backend,
    BackendUnavailable,
    ProgressCallback,
    ProgressTail,
    RunOutput,
    RunRequest,
    read_result_file,
    stage_grader,
    trim_log,
)
from harness.host.backends.standby import STANDBYS, run_key
from harness.project import HARNESS_DIR as HARNESS_SOURCE

RUN_LABEL = "ml-grader.run"
OWNER_LABEL = "ml-grader.owner"  # "<host name>:<pid>" of the harness process that started the run
DEADLINE_LABEL = "ml-grader.deadline"  # Unix time after which the run is over in any case
WORKER_USER = "candidate"
WORKER_UID = 1001  # made by image/install.sh
GRADER_MEMORY_MB = 1536  # the grader process: pytest, NumPy, and TensorFlow if a grader imports it (~550 MB)
TMPFS_MB = 512  # /tmp lives in memory, so the memory limit includes it
PIDS_LIMIT = 512  # TensorFlow starts a few threads per core in both processes; threads count here
CPUS = 2.0
LOG_MAX_SIZE = "1m"
STANDBY_WAIT_SECONDS = 3600  # a standby container (watch mode, batches) waits at most this long for its run
SELF_KILL_MARGIN_SECONDS = 15  # an orphaned container kills its own grader this long after the deadline
STALE_MARGIN_SECONDS = 60
API_TIMEOUT_SECONDS = 60  # for each engine call but the wait for the run, which has its own
GRADER_DIR, SUBMISSION_DIR, RESULTS_DIR, HARNESS_DIR = "/grader", "/submission", "/results", "/opt/grader"
HOST_ONLY_TIERS = ("host", "authoring")  # harness tiers never copied into a container
BUILD_HINT = "grade image build"


def connect(*, timeout: float = API_TIMEOUT_SECONDS):
    """Return a Docker client whose engine answers, or raise :class:`BackendUnavailable` saying why."""
    try:
        import docker
    except ImportError:
        raise BackendUnavailable("the Docker SDK for Python is not installed (pip install docker)") from None
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as error:  # the SDK raises DockerException, requests errors or OSError here
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BackendUnavailable(f"no Docker engine answers at {host} ({reason[:200]})") from None
    return client


def docker_available() -> tuple[bool, str]:
    """Tell whether the docker backend can run here, and if not, why (for ``--backend auto``)."""
    from harness.host.image import ImageBuildError, image_exists, image_tag

    try:
        client = connect(timeout=5)
    except BackendUnavailable as error:
        return False, str(error)
    try:
        tag = image_tag()
        if not image_exists(client, tag=tag):
            return False, f"the grading image {tag} is not built (build it with: {BUILD_HINT})"
    except ImageBuildError as error:
        return False, str(error)
    finally:
        client.close()
    return True, f"Docker engine and image {tag} available"


def cleanup_stale_containers(client=None) -> list[str]:
    """Remove run containers left by a harness that crashed or was killed, and return their names.

    Best effort, and never a reason for a run to fail: other harness processes (batch workers, the
    cluster's) create and remove their containers meanwhile. One listing call gives every container's
    labels; inspecting them one by one (``containers.list``) fails on one removed between the two calls.
    """
    import docker.errors

    client = client or connect()
    host = socket.gethostname()
    removed: list[str] = []
    try:
        listed = client.api.containers(all=True, filters={"label": RUN_LABEL})
    except docker.errors.DockerException:
        return removed
    for entry in listed:
        labels = entry.get("Labels") or {}
        names = [name.lstrip("/") for name in entry.get("Names") or []]
        owner_host, _, owner_pid = str(labels.get(OWNER_LABEL, "")).rpartition(":")
        try:
            deadline = float(labels.get(DEADLINE_LABEL, "0") or 0)
        except ValueError:
            deadline = 0.0
        orphaned = owner_host == host and owner_pid.isdigit() and not _process_exists(int(owner_pid))
        if names and (orphaned or time.time() > deadline + STALE_MARGIN_SECONDS):
            try:
                _remove(client, names[0])
            except docker.errors.DockerException:
                continue  # gone meanwhile, or the engine refused: the next cleanup tries again
            removed.append(names[0])
    return removed


class DockerBackend(Backend):
    name = "docker"

    def __init__(
        self,
        *,
        image: str | None = None,
        client=None,
        pids_limit: int = PIDS_LIMIT,
        cpus: float = CPUS,
        grader_memory_mb: int = GRADER_MEMORY_MB,
    ):
        from harness.host.image import ImageBuildError, image_exists, image_tag

        self.client = client or connect()
        try:
            self.image = image or image_tag()
        except ImageBuildError as error:
            raise BackendUnavailable(str(error)) from None
        if not image_exists(self.client, tag=self.image):
            raise BackendUnavailable(f"the grading image {self.image} is not built (build it with: {BUILD_HINT})")
        if WORKER_UID in (os.getuid(), os.getgid()):
            raise BackendUnavailable(
                f"the harness runs as uid or gid {WORKER_UID}, that of the container's "
                "untrusted worker, which could then read the staged hidden checks"
            )
        if pids_limit < 32 or cpus <= 0 or grader_memory_mb < 256:
            raise ValueError("pids_limit must be >= 32, cpus > 0 and grader_memory_mb >= 256")
        self.pids_limit = pids_limit
        self.cpus = min(cpus, float(self.client.info().get("NCPU") or cpus))
        self.grader_memory_mb = grader_memory_mb
        cleanup_stale_containers(self.client)

    def memory_limit_mb(self, request: RunRequest) -> int:
        """Return the container's memory (= memory+swap) limit for a run: worker + grader + /tmp."""
        return request.exercise.limits.memory_mb + self.grader_memory_mb + TMPFS_MB

    def run(self, request: RunRequest, *, on_progress: ProgressCallback | None = None) -> RunOutput:
        taken = STANDBYS.take(self._standby_key(request))
        container = taken if isinstance(taken, _Container) else None
        if STANDBYS.enabled:
            STANDBYS.add(self._start(request, standby=True))  # the next run's container, warm meanwhile
        if container is None:
            container = self._start(request, standby=False)
        else:
            container.hand_over(request)
        try:
            with ProgressTail(container.results_dir / PROGRESS_FILE_NAME, on_progress):
                return self._finish(request, container)
        finally:
            container.close()

    def _standby_key(self, request: RunRequest) -> tuple:
        return run_key(request, "docker", self.image)

    def _start(self, request: RunRequest, *, standby: bool) -> _Container:
        """Stage and start a container: on ``request``, or as a standby that waits for its submission and spec."""
        from docker.types import LogConfig, Ulimit

        staging = tempfile.TemporaryDirectory(prefix="grade-docker-")
        container = _Container(self._standby_key(request), self.client, Path(staging.name), staging)
        try:
            mounts = stage_run(request, container.staging, with_submission=not standby)
            timeout = request.wall_timeout_seconds + (STANDBY_WAIT_SECONDS if standby else 0.0)
            if standby:
                runner = ["-m", "harness.grader.runner", "--standby", "--grader-dir", GRADER_DIR]
                runner += ["--threads", str(request.threads), "--worker-user", WORKER_USER]
                runner += ["--await-spec", f"{RESULTS_DIR}/{SPEC_FILE_NAME}"]
            else:
                runner = request.runner_arguments(spec_file=f"{RESULTS_DIR}/{SPEC_FILE_NAME}")
            command = ["timeout", "--signal=KILL", str(int(timeout + SELF_KILL_MARGIN_SECONDS)), "python3", *runner]
            memory = f"{self.memory_limit_mb(request)}m"
            # The grader's working folder and HOME are out of the worker's reach (not /tmp), so that
            # nothing the candidate writes can be imported or read as configuration by the grader.
            container.handle = self.client.containers.create(
                self.image,
                command=command,
                name=container.name,
                user="root",
                working_dir="/",
                init=True,
                environment={
                    "PYTHONPATH": HARNESS_DIR,
                    "PYTHONSAFEPATH": "1",
                    "PYTHONDONTWRITEBYTECODE": "1",
                    "PYTHONUNBUFFERED": "1",
                    "HOME": "/root",
                    "TF_CPP_MIN_LOG_LEVEL": "2",
                    "LANG": "C.UTF-8",
                },
                volumes=mounts,
                network_mode="none",
                ipc_mode="none",
                read_only=True,
                tmpfs={"/tmp": f"rw,nosuid,nodev,size={TMPFS_MB}m,mode=1777"},
                mem_limit=memory,
                memswap_limit=memory,
                pids_limit=self.pids_limit,
                nano_cpus=int(self.cpus * 1e9),
                cap_drop=["ALL"],
                # No SYS_PTRACE: the grader cannot read the smaps of the worker's children (another uid), so
                # memory spread over them is capped by the container's limit, not summed as on local. With
                # it, reading them raced a fork bomb's page-table copies and the run outlived its limit.
                cap_add=["SETUID", "SETGID", "KILL"],
                security_opt=["no-new-privileges"],
                ulimits=[Ulimit(name="core", soft=0, hard=0)],
                group_add=_host_group(),
                log_config=LogConfig(type="json-file", config={"max-size": LOG_MAX_SIZE, "max-file": "1"}),
                labels={
                    RUN_LABEL: "1",
                    OWNER_LABEL: f"{socket.gethostname()}:{os.getpid()}",
                    DEADLINE_LABEL: str(int(time.time() + timeout + SELF_KILL_MARGIN_SECONDS)),
                },
                stdin_open=False,
                tty=False,
            )
            container.handle.start()
        except BaseException:
            container.close()
            raise
        return container

    def _finish(self, request: RunRequest, container: _Container) -> RunOutput:
        """Wait for the container's grader, then read its result and log."""
        import requests.exceptions

        timeout = request.wall_timeout_seconds
        failure = None
        try:
            container.handle.wait(timeout=timeout)
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            _kill(container.handle)
            failure = f"the grading run exceeded its wall-clock limit of {timeout:g} s and was stopped"
        container.handle.reload()
        state = container.handle.attrs.get("State", {})
        log = container.handle.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        result, problem = read_result_file(container.results_dir / RESULT_FILE_NAME)
        if failure is None and result is None:
            if state.get("OOMKilled"):
                failure = (
                    f"the grading container ran out of memory (limit {self.memory_limit_mb(request)} MB "
                    "for the grader, the submission and /tmp together)"
                )
            else:
                failure = f"{problem} (grader exit code {state.get('ExitCode')})"
        return RunOutput(result=result, failure=failure, log=trim_log(log), image=self.image)


class _Container:
    """One grading container and its staging folder on the host: running a spec, or a standby."""

    def __init__(self, key: tuple, client, staging: Path, holder: tempfile.TemporaryDirectory):
        self.key, self.client, self.staging, self.holder = key, client, staging, holder
        self.name = f"ml-grader-{uuid.uuid4().hex[:12]}"
        self.handle: Any = None  # the SDK's Container, once created

    @property
    def results_dir(self) -> Path:
        return self.staging / "results"

    def waiting(self) -> bool:
        try:
            self.handle.reload()
            return self.handle.status == "running"
        except Exception:  # gone, or the engine did not answer: not a standby to use
            return False

    def hand_over(self, request: RunRequest) -> None:
        """Give a standby its submission (into its mounted, empty folder), then its spec, written whole."""
        _copy_tree(request.submission_dir, self.staging / "submission", private=False, accept=lambda path: True)
        write_spec(request, self.results_dir)

    def close(self) -> None:
        if self.handle is not None:
            _remove(self.client, self.name)
        self.holder.cleanup()


def stage_run(request: RunRequest, staging: Path, *, with_submission: bool = True) -> dict:
    """Copy what one run needs into ``staging`` with the right permissions and return the volume mounts.

    The harness is copied without its host and authoring tiers, which nothing in the container
    may use; the grader's files are those the project's file policy gives a grading run. Without
    ``with_submission`` (a standby) the submission folder and the spec come later, at hand-over.
    """
    harness_copy = staging / "opt" / "harness"
    _copy_tree(HARNESS_SOURCE, harness_copy, private=False, accept=_container_harness_file)
    grader_copy = staging / "grader"
    stage_grader(request, grader_copy, mode=_private_mode())
    submission_copy = staging / "submission"
    if with_submission:
        _copy_tree(request.submission_dir, submission_copy, private=False, accept=lambda path: True)
    else:
        submission_copy.mkdir(mode=0o755)
        os.chmod(submission_copy, 0o755)
    results = staging / "results"
    results.mkdir(mode=0o700)
    os.chmod(results, 0o700 if os.getgid() == 0 else 0o770)
    if with_submission:
        write_spec(request, results)
    return {
        str(harness_copy): {"bind": f"{HARNESS_DIR}/harness", "mode": "ro"},
        str(grader_copy): {"bind": GRADER_DIR, "mode": "ro"},
        str(submission_copy): {"bind": SUBMISSION_DIR, "mode": "ro"},
        str(results): {"bind": RESULTS_DIR, "mode": "rw"},
    }


def write_spec(request: RunRequest, results: Path) -> None:
    """Write the run's spec into the results folder whole (a standby grader polls for it), grader-only."""
    partial = request.spec(
        grader_dir=GRADER_DIR, submission_dir=SUBMISSION_DIR, results_dir=RESULTS_DIR, worker_user=WORKER_USER
    ).write(results / f".{SPEC_FILE_NAME}.partial")
    os.chmod(partial, 0o600 if os.getgid() == 0 else 0o660)
    partial.replace(results / SPEC_FILE_NAME)


def _container_harness_file(path: Path) -> bool:
    relative = path.relative_to(HARNESS_SOURCE)
    if relative.parts[0] in HOST_ONLY_TIERS or path.name == "__pycache__":
        return False
    return path.is_dir() or path.suffix in (".py", ".json")


def _copy_tree(source: Path, destination: Path, *, private: bool, accept) -> None:
    """Copy regular files and folders that ``accept`` admits; refuse symbolic links and special files."""
    if not source.is_dir():
        raise ValueError(f"{source} is not a folder")
    destination.mkdir(parents=True, exist_ok=True)
    os.chmod(destination, _private_mode() if private else 0o755)
    for path in sorted(source.iterdir()):
        if path.is_symlink():
            raise ValueError(f"refusing to copy {path}: it is a symbolic link")
        if not accept(path):
            continue
        if path.is_dir():
            _copy_tree(path, destination / path.name, private=private, accept=accept)
        elif path.is_file():
            shutil.copyfile(path, destination / path.name, follow_symlinks=False)
            os.chmod(destination / path.name, 0o640 if private else 0o644)
        else:
            raise ValueError(f"refusing to copy {path}: it is not a regular file")


def _private_mode() -> int:
    """Return the mode of folders only the grader may read: owner-only, or group too when the host is not root."""
    return 0o700 if os.getgid() == 0 else 0o750


def _host_group() -> list[str]:
    """Give the in-container root the host user's group, so it can read what a non-root host user staged."""
    return [] if os.getgid() == 0 else [str(os.getgid())]


def _remove(client, name: str) -> None:
    """Remove a container by name, whatever state it is in; a Ctrl-C meanwhile is raised once it is gone."""
    import docker.errors

    interrupted = None
    for attempt in range(3):
        try:
            client.api.remove_container(name, force=True, v=True)
            break
        except docker.errors.NotFound:
            break
        except KeyboardInterrupt as interrupt:
            interrupted = interrupt
        except docker.errors.APIError as error:
            if "already in progress" in str(error):
                break
            if attempt == 2:
                raise
            time.sleep(0.5)
    if interrupted is not None:
        raise interrupted


def _kill(container) -> None:
    """Kill a running container; one that has just ended is fine too."""
    import docker.errors

    try:
        container.kill()
    except docker.errors.APIError:
        pass


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
