"""Start, watch and kill the submission worker process, from the grader's side.

The grader talks to the worker over two private pipes.  Everything the
candidate's code prints goes to a third pipe, drained by
:class:`~harness.grader.output.OutputCollector`.  A monitor thread reads the
worker's process group ten times a second (:mod:`harness.grader.accounting`):
its CPU time, memory and time spent waiting for a CPU.

Each call has a budget in **CPU seconds** of the worker's process group.  A call
that uses more is stopped as a timeout (the candidate's code is too slow).  A
call that sleeps, or waits on something that never comes, is stopped once it
has been idle longer than its budget.  A call that is neither, but has not
finished by the wall-clock backstop, was starved by a busy machine: that is a
:class:`~harness.grader.failures.MachineOverloaded` grading error, which a
re-run may cure, never the candidate's failure.  A worker whose memory grows
past the limit, or that dies, ends the group and raises a
:class:`~harness.grader.failures.WorkerFailure` saying why.
"""

from __future__ import annotations

import ctypes
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.grader.accounting import GroupAccountant, GroupSample, PortableAccountant, accountant_for
from harness.grader.containment import ProcessSet, become_subreaper, process_set_for
from harness.grader.failures import CallTimedOut, MachineOverloaded, OutOfMemory, WorkerDied
from harness.grader.output import OutputCollector
from harness.grader.portability import mode
from harness.project import HARNESS_PARENT, WorkerLimits
from harness.wire.protocol import ConnectionClosed, ProtocolError, read_message, write_message

VIRTUAL_MEMORY_HEADROOM_MB = 3072  # TensorFlow reserves ~2 GB of address space it never touches
MONITOR_SECONDS = 0.1
IDLE_WINDOW_SECONDS = 1.0
IDLE_ACTIVITY_SECONDS = 0.02  # less CPU and less waiting for a CPU than this in a window: idle
MIN_IDLE_LIMIT_SECONDS = 10.0
PSS_RECHECK_SECONDS = 0.5
PIDS_MAX = 512
PR_SET_PDEATHSIG = 1
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def worker_environment(*, threads: int) -> dict[str, str]:
    """The environment of a worker: no inherited variables, fixed threads, deterministic TensorFlow.

    Nothing in it depends on the submission or its seed, so a worker can start (and import its
    exercise's libraries) before it is assigned a submission: see :meth:`WorkerProcess.assign`.
    """
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": str(HARNESS_PARENT),
        "PYTHONSAFEPATH": "1",  # the working folder is never searched for modules
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",  # str hashes, set order: the same on every machine and every run
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_DETERMINISTIC_OPS": "1",
        "TF_ENABLE_ONEDNN_OPTS": "0",  # oneDNN picks kernels by CPU model: results would vary by machine
        "KERAS_HOME": "/tmp/keras-home",  # the worker moves HOME, TMPDIR and KERAS_HOME to a private folder
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
    }
    environment.update({name: str(threads) for name in THREAD_VARIABLES})
    return environment


@dataclass
class CallBudget:
    """What one call may use: CPU seconds, and the name of the budget that set them, for messages."""

    cpu_seconds: float
    source: str = "the call's budget"


class WorkerProcess:
    """One submission worker: a child process serving requests for one module."""

    def __init__(
        self,
        module_file: Path | None,
        *,
        seed: int,
        limits: WorkerLimits,
        user: str | int | None = None,
        threads: int = 1,
        preload: tuple[str, ...] = (),
        run_cgroup: str | None = None,
    ):
        self.module_file = Path(module_file) if module_file is not None else None  # None: a standby worker
        self.seed = seed
        self.limits = limits
        self.user = user
        self.threads = threads
        self.preload = tuple(preload)
        self.run_cgroup = run_cgroup
        self.private_dir = os.path.join(tempfile.gettempdir(), f"ml-grader-worker-{uuid.uuid4().hex}")
        self.processes: ProcessSet | None = None
        self.process: subprocess.Popen | None = None
        self.output: OutputCollector | None = None
        self.memory_exceeded_mb: float | None = None
        self.peak_rss_mb = 0.0
        self.cpu_seconds = 0.0  # charged so far: never decreases
        self.latest: GroupSample | None = None
        self._accountant: GroupAccountant | PortableAccountant | None = None
        self._replies: _ReplyThread | None = None
        self.mode = "linux"
        self._monitor_thread: threading.Thread | None = None
        self._killed_by_us: str | None = None
        self._sampled = threading.Condition()

    def _command(self, *transport: str) -> list[str]:
        submission = ["--standby"] if self.module_file is None else ["--module-file", str(self.module_file)]
        command = [
            sys.executable,
            "-P",
            "-s",
            "-m",
            "harness.worker",
            *submission,
            *transport,
            "--seed",
            str(self.seed),
            "--cap-bytes",
            str(self.limits.message_cap_bytes),
            "--threads",
            str(self.threads),
            "--private-dir",
            self.private_dir,
        ]
        if self.preload:
            command += ["--preload", ",".join(self.preload)]
        return command

    def start(self) -> None:
        self.mode = mode()
        if self.mode == "windows":
            self._start_over_standard_streams()
        else:
            self._start_over_private_pipes()
        self.processes = process_set_for(
            self.process.pid, self.run_cgroup, pids_max=PIDS_MAX, memory_max_bytes=self.limits.memory_mb * 1024 * 1024
        )
        self._accountant = accountant_for(self.processes)
        self._monitor_thread = threading.Thread(target=self._monitor, daemon=True, name="worker-monitor")
        self._monitor_thread.start()

    def _start_over_private_pipes(self) -> None:
        """POSIX: requests and replies on two pipes passed by descriptor; output on a third."""
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        output_read, output_write = os.pipe()
        command = self._command("--request-fd", str(request_read), "--response-fd", str(response_write))
        address_space = (self.limits.memory_mb + VIRTUAL_MEMORY_HEADROOM_MB) * 1024 * 1024

        def limit_resources() -> None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            _die_with_parent()

        become_subreaper()  # orphans of the worker's double forks come back to us, not to init
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output_write,
                stderr=output_write,
                pass_fds=(request_read, response_write),
                env=worker_environment(threads=self.threads),
                cwd="/",
                start_new_session=True,
                preexec_fn=limit_resources,  # noqa: PLW1509 - only setrlimit calls, async-signal-safe enough
                user=self.user,
                group=self.user,
                extra_groups=[] if self.user is not None else None,
            )
        finally:
            os.close(request_read)
            os.close(response_write)
            os.close(output_write)
        self.requests: Any = os.fdopen(request_write, "wb", buffering=0)
        self.response_fd = response_read
        self._replies = None
        self.output = OutputCollector(output_read, self.limits.output_keep_bytes)
        self.output.start()

    def _start_over_standard_streams(self) -> None:
        """Windows: requests on the worker's standard input, replies on its standard output (read by a
        thread, as pipes cannot be waited on there), what the candidate prints on standard error."""
        environment = worker_environment(threads=self.threads)
        environment.update(
            {
                name: value
                for name, value in os.environ.items()
                if name.upper() in ("SYSTEMROOT", "TEMP", "TMP", "USERPROFILE", "PATHEXT")
            }
        )
        self.process = subprocess.Popen(
            self._command("--stdio"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=os.path.dirname(self.private_dir),
        )
        self.requests = self.process.stdin
        self.response_fd = self.process.stdout.fileno()
        self._replies = _ReplyThread(self.process.stdout, self.limits.message_cap_bytes)
        self._replies.start()
        self.output = OutputCollector(self.process.stderr.fileno(), self.limits.output_keep_bytes, drain=False)
        self.output.start()

    def assign(self, module_file: Path, *, seed: int) -> None:
        """Give a standby worker (started without a module) the candidate's module to import, and its seed.

        Until now it has imported only its exercise's libraries (``preload``): nothing of any submission.
        """
        if self.module_file is not None:
            raise ValueError("this worker already serves a module")
        self.module_file, self.seed = Path(module_file), seed
        try:
            write_message(
                self.requests,
                {"op": "assign", "module_file": str(self.module_file), "seed": seed},
                [],
                cap_bytes=self.limits.message_cap_bytes,
            )
        except (BrokenPipeError, OSError):
            pass  # a worker that died waiting is reported by the first request, as any dead worker

    @property
    def alive(self) -> bool:
        return self.process is not None and self._killed_by_us is None and self.process.poll() is None

    # -- the monitor ---------------------------------------------------------

    def _monitor(self) -> None:
        """Sample the worker's group; kill it when it uses more memory than the limit."""
        last_pss_check = 0.0
        while self.process.poll() is None and self._killed_by_us is None:
            sample = self._accountant.sample()
            with self._sampled:
                if self.latest is not None:
                    self.cpu_seconds += max(0.0, sample.cpu_seconds - self.latest.cpu_seconds)
                else:
                    self.cpu_seconds = sample.cpu_seconds
                self.latest = sample
                self._sampled.notify_all()
            self.peak_rss_mb = max(self.peak_rss_mb, sample.rss_mb)
            if sample.rss_mb > self.limits.memory_mb and time.monotonic() - last_pss_check >= PSS_RECHECK_SECONDS:
                last_pss_check = time.monotonic()
                proportional = self._accountant.proportional_mb()  # forked children share pages
                if proportional > self.limits.memory_mb:
                    self.memory_exceeded_mb = proportional
                    self.kill("memory")
                    return
            time.sleep(MONITOR_SECONDS)

    def _fresh_sample(self) -> GroupSample | None:
        """The latest sample, after waiting (briefly) for the monitor to take one."""
        with self._sampled:
            if self.latest is None:
                self._sampled.wait(timeout=1.0)
            return self.latest

    # -- requests ------------------------------------------------------------

    def request(self, header: dict, arrays: list, *, budget: CallBudget, describe: str):
        """Send one request and wait for its reply within ``budget``, or raise why none came."""
        if not self.alive:
            raise self._failure(describe)
        try:
            write_message(self.requests, header, arrays, cap_bytes=self.limits.message_cap_bytes)
        except (BrokenPipeError, OSError):
            raise self._failure(describe) from None
        try:
            return self._await_reply(budget, describe)
        except ConnectionClosed:
            raise self._failure(describe) from None
        except ProtocolError as error:
            self.kill("protocol")
            raise WorkerDied(f"{describe}: the submission process sent a malformed reply ({error})") from None

    def _await_reply(self, budget: CallBudget, describe: str):
        started = time.monotonic()
        backstop = started + self.limits.wall_backstop(budget.cpu_seconds)
        idle_limit = max(budget.cpu_seconds, MIN_IDLE_LIMIT_SECONDS)
        first = self._fresh_sample()
        cpu_at_start = self.cpu_seconds
        window = (started, cpu_at_start, first.run_delay_seconds if first else 0.0)
        idle = 0.0
        while True:
            now = time.monotonic()
            wait = max(0.0, min(MONITOR_SECONDS, backstop - now))
            if self._replies is not None:
                reply = self._replies.next(timeout=wait)
                if reply is not None:
                    return reply
                if self.process.poll() is not None:  # dead, though a child may still hold its pipe open
                    raise ConnectionClosed("the worker ended")
            else:
                ready, _, _ = select.select([self.response_fd], [], [], wait)
                if ready:
                    reader = _BackstopReader(self.response_fd, backstop + 5.0)
                    return read_message(reader, cap_bytes=self.limits.message_cap_bytes)  # type: ignore[arg-type]
            now = time.monotonic()
            used = self.cpu_seconds - cpu_at_start
            if used > budget.cpu_seconds:
                self.kill("deadline")
                raise CallTimedOut(
                    f"{describe} used {used:.1f} CPU seconds, more than {budget.source} "
                    f"({budget.cpu_seconds:g} CPU seconds), so it was stopped. Look for an endless loop or for "
                    "training that runs far longer than needed."
                )
            if now - window[0] >= IDLE_WINDOW_SECONDS:
                sample = self.latest
                run_delay = sample.run_delay_seconds if sample else window[2]
                if (
                    self.cpu_seconds - window[1] < IDLE_ACTIVITY_SECONDS
                    and run_delay - window[2] < IDLE_ACTIVITY_SECONDS
                ):
                    idle += now - window[0]
                window = (now, self.cpu_seconds, run_delay)
                if idle > idle_limit:
                    self.kill("deadline")
                    raise CallTimedOut(
                        f"{describe} waited {idle:.0f} s without computing (it used {used:.1f} CPU seconds), "
                        f"longer than {budget.source} allows, so it was stopped. Look for time.sleep, input() "
                        "or a call that waits for something that never comes."
                    )
            if now >= backstop:
                self.kill("overloaded")
                raise MachineOverloaded(
                    f"{describe} had used only {used:.1f} of its {budget.cpu_seconds:g} CPU seconds "
                    f"({budget.source}) after {now - started:.0f} s of wall-clock time: the machine was too "
                    "busy to give it a processor. This is not your code's fault; grade again when the machine "
                    "is less loaded."
                )

    def _failure(self, describe: str):
        """Wait for the dead worker and explain how it ended."""
        if self.process is not None:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill("unresponsive")
        code = self.process.returncode if self.process else None
        if self._killed_by_us == "memory" or self.memory_exceeded_mb is not None:
            return OutOfMemory(
                f"{describe} ran out of memory: the submission process used "
                f"{self.memory_exceeded_mb or self.peak_rss_mb:.0f} MB, over the limit of "
                f"{self.limits.memory_mb} MB, and was stopped."
            )
        if code == -signal.SIGKILL and self._killed_by_us is None:
            return OutOfMemory(
                f"{describe} did not complete: the submission process was killed by the system, "
                f"most likely for using more than the {self.limits.memory_mb} MB memory limit."
            )
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            return WorkerDied(f"{describe} did not complete: the submission process crashed with signal {name}.")
        return WorkerDied(
            f"{describe} did not complete: the submission process exited (exit code {code}) before replying. "
            "Look for sys.exit, os._exit or quit() in your code, or for an error in what it printed."
        )

    def kill(self, reason: str) -> None:
        """End the worker and every process it started."""
        if self._killed_by_us is None:
            self._killed_by_us = reason
        if self.process is None:
            return
        if self.processes is not None:
            self.processes.kill_all()  # first, while the worker's children can still be found through it
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, AttributeError):  # no process groups on Windows
            pass
        try:
            self.process.kill()
        except ProcessLookupError:
            pass

    def close(self) -> None:
        """Stop the worker, then collect it."""
        if self.process is None:
            return
        try:
            self.requests.close()
        except OSError:
            pass
        self.kill(self._killed_by_us or "finished")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self._monitor_thread is not None:
            self._monitor_thread.join(timeout=5)  # it may be killing the set right now
        if self.processes is not None:
            self.processes.close()
        shutil.rmtree(self.private_dir, ignore_errors=True)  # in a container the tmpfs goes with it anyway
        if self._replies is None:
            try:
                os.close(self.response_fd)
            except OSError:
                pass


class _ReplyThread(threading.Thread):
    """Read the worker's replies into a queue, where ``select`` cannot wait on a pipe (Windows)."""

    def __init__(self, stream, cap_bytes: int):
        super().__init__(daemon=True, name="worker-replies")
        self.stream, self.cap_bytes = stream, cap_bytes
        self.replies: queue.Queue = queue.Queue()

    def run(self) -> None:
        while True:
            try:
                self.replies.put(read_message(self.stream, cap_bytes=self.cap_bytes))
            except (ConnectionClosed, ProtocolError, OSError, ValueError) as error:
                self.replies.put(error)
                return

    def next(self, *, timeout: float):
        """The next reply, None if none came within ``timeout``; a closed or broken stream is raised."""
        try:
            reply = self.replies.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(reply, BaseException):
            self.replies.put(reply)  # every later wait sees it too
            raise reply if isinstance(reply, ProtocolError) else ConnectionClosed(str(reply))
        return reply


class _BackstopReader:
    """A file-like reader for the rest of a reply, which must arrive before the wall-clock backstop."""

    def __init__(self, file_descriptor: int, deadline: float):
        self.file_descriptor = file_descriptor
        self.deadline = deadline

    def read(self, size: int) -> bytes:
        remaining = self.deadline - time.monotonic()
        ready, _, _ = select.select([self.file_descriptor], [], [], max(0.0, remaining))
        if not ready:
            raise ProtocolError("the reply stopped arriving half-way")
        return os.read(self.file_descriptor, min(size, 1 << 20))


def _die_with_parent() -> None:
    """Have the kernel kill this (child) process when the grader process dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
