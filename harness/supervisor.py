"""Start, watch and kill the submission worker process, from the grader's side.

The grader talks to the worker over two private pipes.  Everything the
candidate's code prints goes to a third pipe, drained by a thread that keeps
only the beginning and end of it.  A call that misses its deadline, a worker
whose memory grows past the limit, or a worker that dies, ends the process
group and raises a :class:`~harness.failures.WorkerFailure` saying why.
"""

from __future__ import annotations

import ctypes
import os
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from harness.failures import CallTimedOut, OutOfMemory, WorkerDied
from harness.protocol import ConnectionClosed, ProtocolError, read_message, write_message

HARNESS_PARENT = str(Path(__file__).resolve().parent.parent)
VIRTUAL_MEMORY_HEADROOM_MB = 3072  # TensorFlow reserves ~2 GB of address space it never touches
MEMORY_POLL_SECONDS = 0.05
PR_SET_PDEATHSIG = 1
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class WorkerLimits:
    """The limits every worker runs under."""

    memory_mb: int = 2048
    call_deadline_seconds: float = 30.0
    import_deadline_seconds: float = 60.0
    message_cap_bytes: int = 64 * 1024 * 1024
    output_keep_bytes: int = 4096

    def __post_init__(self):
        if self.memory_mb < 64:
            raise ValueError(f"memory_mb must be at least 64, got {self.memory_mb}")
        if self.call_deadline_seconds <= 0 or self.import_deadline_seconds <= 0:
            raise ValueError("deadlines must be positive")


class OutputCollector(threading.Thread):
    """Drain the worker's stdout/stderr, keeping the head and tail of each segment."""

    def __init__(self, file_descriptor: int, keep_bytes: int):
        super().__init__(daemon=True, name="worker-output")
        self.file_descriptor = file_descriptor
        self.keep_bytes = keep_bytes
        self.lock = threading.Lock()
        self.total_bytes = 0
        self._reset_segment()

    def _reset_segment(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.segment_bytes = 0

    def _absorb(self, chunk: bytes) -> None:
        self.total_bytes += len(chunk)
        self.segment_bytes += len(chunk)
        room = self.keep_bytes - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.keep_bytes:
                del self.tail[: len(self.tail) - self.keep_bytes]

    def run(self) -> None:
        while True:
            try:
                chunk = os.read(self.file_descriptor, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self._absorb(chunk)

    def take_segment(self) -> str:
        """Return what arrived since the last call, trimmed, and start a new segment."""
        with self.lock:
            self._drain_available()
            head, tail, size = bytes(self.head), bytes(self.tail), self.segment_bytes
            self._reset_segment()
        if not size:
            return ""
        text = head.decode("utf-8", "replace")
        if tail:
            skipped = size - len(head) - len(tail)
            if skipped > 0:
                text += f"\n... [{skipped:,} bytes of output trimmed] ...\n"
            text += tail.decode("utf-8", "replace")
        return text

    def _drain_available(self) -> None:
        """Read what is already in the pipe, so that output before a reply is counted."""
        while True:
            try:
                ready, _, _ = select.select([self.file_descriptor], [], [], 0)
            except (OSError, ValueError):
                return
            if not ready:
                return
            try:
                chunk = os.read(self.file_descriptor, 1 << 16)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            self._absorb(chunk)


class _DeadlineReader:
    """A file-like reader that raises :class:`CallTimedOut` once the deadline passes."""

    def __init__(self, file_descriptor: int, deadline: float):
        self.file_descriptor = file_descriptor
        self.deadline = deadline

    def read(self, size: int) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _Expired()
        ready, _, _ = select.select([self.file_descriptor], [], [], remaining)
        if not ready:
            raise _Expired()
        return os.read(self.file_descriptor, min(size, 1 << 20))


class _Expired(Exception):
    pass


class WorkerProcess:
    """One submission worker: a child process serving requests for one module."""

    def __init__(self, module_file: Path, *, seed: int, limits: WorkerLimits, user: str | None = None):
        self.module_file = Path(module_file)
        self.seed = seed
        self.limits = limits
        self.user = user
        self.process: subprocess.Popen | None = None
        self.output: OutputCollector | None = None
        self.memory_exceeded_mb: float | None = None
        self.peak_rss_mb = 0.0
        self._killed_by_us: str | None = None

    def start(self) -> None:
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        output_read, output_write = os.pipe()
        environment = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "PYTHONPATH": HARNESS_PARENT,
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": str(self.seed % (2**32)),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "KERAS_HOME": "/tmp/keras-home",
            "HOME": "/tmp",
            "LANG": "C.UTF-8",
        }
        command = [
            sys.executable, "-m", "harness.worker",
            "--module-file", str(self.module_file),
            "--request-fd", str(request_read),
            "--response-fd", str(response_write),
            "--seed", str(self.seed),
            "--cap-bytes", str(self.limits.message_cap_bytes),
        ]
        address_space = (self.limits.memory_mb + VIRTUAL_MEMORY_HEADROOM_MB) * 1024 * 1024

        def limit_resources() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            _die_with_parent()

        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output_write,
                stderr=output_write,
                pass_fds=(request_read, response_write),
                env=environment,
                cwd="/tmp",
                start_new_session=True,
                preexec_fn=limit_resources,
                user=self.user,
                group=self.user,
                extra_groups=[] if self.user else None,
            )
        finally:
            os.close(request_read)
            os.close(response_write)
            os.close(output_write)
        self.requests = os.fdopen(request_write, "wb", buffering=0)
        self.response_fd = response_read
        self.output = OutputCollector(output_read, self.limits.output_keep_bytes)
        self.output.start()
        threading.Thread(target=self._watch_memory, daemon=True, name="worker-memory").start()

    @property
    def alive(self) -> bool:
        return self.process is not None and self._killed_by_us is None and self.process.poll() is None

    def _watch_memory(self) -> None:
        """Kill the worker when it, with every process it started, uses more than the limit."""
        group = self.process.pid  # the worker leads its own session and process group
        while self.process.poll() is None:
            rss_mb = _group_rss_mb(group)
            if rss_mb:
                self.peak_rss_mb = max(self.peak_rss_mb, rss_mb)
                if rss_mb > self.limits.memory_mb:
                    self.memory_exceeded_mb = rss_mb
                    self.kill("memory")
                    return
            time.sleep(MEMORY_POLL_SECONDS)

    def request(self, header: dict, arrays: list, *, deadline_seconds: float, describe: str):
        """Send one request and wait for its reply, or raise why none came."""
        if not self.alive:
            raise self._failure(describe)
        try:
            write_message(self.requests, header, arrays, cap_bytes=self.limits.message_cap_bytes)
        except (BrokenPipeError, OSError):
            raise self._failure(describe) from None
        reader = _DeadlineReader(self.response_fd, time.monotonic() + deadline_seconds)
        try:
            return read_message(reader, cap_bytes=self.limits.message_cap_bytes)
        except _Expired:
            self.kill("deadline")
            raise CallTimedOut(
                f"{describe} did not finish within its {deadline_seconds:g} s deadline, so it was stopped. "
                "Look for an endless loop or training that runs far longer than needed."
            ) from None
        except ConnectionClosed:
            raise self._failure(describe) from None
        except ProtocolError as error:
            self.kill("protocol")
            raise WorkerDied(f"{describe}: the submission process sent a malformed reply ({error})") from None

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
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
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
        try:
            os.close(self.response_fd)
        except OSError:
            pass


def _die_with_parent() -> None:
    """Have the kernel kill this (child) process when the grader process dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _group_rss_mb(group: int) -> float:
    """Measure the memory of a process group in MB: the sum of proportional set sizes (PSS).

    PSS shares each page among the processes mapping it, so forked children are
    not counted many times over.  Where a process's PSS cannot be read (another
    user's process, in the container), only the group leader's resident size is
    counted; the container's own memory limit covers the rest.
    """
    total_kb = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0.0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            if int(fields[2]) != group:  # fields after the name: state, ppid, pgrp, ...
                continue
            proportional = _proportional_kb(entry)
            if proportional is not None:
                total_kb += proportional
            elif int(entry) == group:
                total_kb += _resident_kb(entry)
        except (OSError, ValueError, IndexError):
            continue
    return total_kb / 1024


def _proportional_kb(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _resident_kb(pid: str) -> int:
    with open(f"/proc/{pid}/statm", "rb") as handle:
        return int(handle.read().split()[1]) * (PAGE_SIZE // 1024)
