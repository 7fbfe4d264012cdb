"""Measure what the submission worker and every process it started use: CPU seconds, memory, waiting.

Which processes those are is decided by :mod:`harness.grader.containment` (a cgroup, or the
grader's descendants as their subreaper), so a child that calls ``setsid()`` is counted too.

Deadlines are charged in CPU seconds, so a machine under load slows a call
down without costing the candidate anything.  Three readings make that fair:

- **CPU**: the cgroup's own count where there is one (``cpu.stat``, ended processes included);
  otherwise user + system time of every member, plus the time of the children they have reaped
  (``/proc/PID/stat``);
- **memory**: resident size, cheap to read; only when it crosses the limit is
  the proportional set size (``smaps_rollup``) read, so that pages shared by
  forked children are not counted twice;
- **waiting to run**: how long the group leader waited for a CPU
  (``/proc/PID/schedstat``), which tells a starved process from a sleeping one.

Members are listed afresh at most once a second; in between only the known members
are read, so a sample costs a few file reads.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from harness.grader.containment import ProcessSet

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
FULL_SCAN_SECONDS = 1.0
PSS_MEMBERS = 32  # the largest members whose PSS is read when the resident sizes pass the limit


@dataclass(frozen=True)
class GroupSample:
    """One reading of a process group."""

    taken_at: float  # time.monotonic()
    cpu_seconds: float  # user + system of live members, plus what they reaped
    rss_mb: float  # resident set size of live members
    run_delay_seconds: float  # time the group leader spent runnable but waiting for a CPU
    members: int


def _read_stat(pid: int) -> tuple[int, float, float] | None:
    """Return (process group, CPU seconds incl. reaped children, RSS in MB) of ``pid``, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields[0] is the state (field 3 of stat(5)), so field N of stat(5) is fields[N - 3].
    try:
        group = int(fields[2])
        ticks = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        rss_pages = int(fields[21])
    except (IndexError, ValueError):
        return None
    return group, ticks / CLOCK_TICKS, rss_pages * PAGE_KB / 1024


def _run_delay_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as handle:
            return int(handle.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def proportional_mb(pid: int) -> float | None:
    """The proportional set size of ``pid`` in MB, or None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


class GroupAccountant:
    """Follow one worker's process set and sum what its members use."""

    def __init__(self, processes: ProcessSet):
        self.processes = processes
        self.group = processes.leader
        self.members: set[int] = {processes.leader}
        self._last_scan = 0.0

    def sample(self) -> GroupSample:
        """Read the set now."""
        if time.monotonic() - self._last_scan >= FULL_SCAN_SECONDS:
            self.members = self.processes.members() | {self.group}
            self._last_scan = time.monotonic()
        cpu = rss = 0.0
        alive = set()
        for pid in self.members:
            stat = _read_stat(pid)
            if stat is None:
                continue
            alive.add(pid)
            cpu += stat[1]
            rss += stat[2]
        self.members = alive | {self.group}
        counted = self.processes.cpu_seconds()
        return GroupSample(
            taken_at=time.monotonic(),
            cpu_seconds=counted if counted is not None else cpu,
            rss_mb=rss,
            run_delay_seconds=_run_delay_seconds(self.group),
            members=len(alive),
        )

    def proportional_mb(self) -> float:
        """The set's memory by PSS (shared pages divided among sharers).

        Where a member's PSS cannot be read (another user's process, in the container), only the
        leader's resident size is counted; the container's own memory limit covers the rest.
        """
        total = 0.0
        for pid in self._largest_members():
            value = proportional_mb(pid)
            if value is None:
                stat = _read_stat(pid) if pid == self.group else None
                value = stat[2] if stat is not None else 0.0
            total += value
        return total

    def _largest_members(self) -> list[int]:
        """The leader and the members with the largest resident size, at most PSS_MEMBERS of them.

        Reading a PSS walks a process's page tables; a fork bomb of hundreds of processes would make
        every check cost seconds. Members beyond these hold little each, and the cgroup's or the
        container's own memory limit covers them.
        """
        sizes = []
        for pid in self.members:
            stat = _read_stat(pid)
            if stat is not None:
                sizes.append((stat[2], pid))
        chosen = [pid for _, pid in sorted(sizes, reverse=True)[:PSS_MEMBERS]]
        return chosen if self.group in chosen else [self.group, *chosen[: PSS_MEMBERS - 1]]


class PortableAccountant:
    """The same readings where there is no /proc (macOS, Windows): psutil over the worker and its children.

    Without psutil, CPU time is the wall-clock time since the worker started (budgets become
    wall-clock budgets) and memory reads as 0: :func:`harness.grader.portability.limits_not_enforced`
    says so to the person grading.
    """

    def __init__(self, processes: ProcessSet):
        self.processes = processes
        self.group = processes.leader
        self.members: set[int] = {processes.leader}
        self._started = time.monotonic()
        try:
            import psutil

            self._psutil = psutil
        except ImportError:
            self._psutil = None

    def _processes(self):
        psutil = self._psutil
        try:
            leader = psutil.Process(self.group)
            return [leader, *leader.children(recursive=True)]
        except psutil.Error:
            return []

    def sample(self) -> GroupSample:
        if self._psutil is None:
            return GroupSample(
                taken_at=time.monotonic(),
                cpu_seconds=time.monotonic() - self._started,
                rss_mb=0.0,
                run_delay_seconds=0.0,
                members=1,
            )
        cpu = rss = 0.0
        found = self._processes()
        for process in found:
            try:
                times = process.cpu_times()
                cpu += times.user + times.system
                rss += process.memory_info().rss / 2**20
            except self._psutil.Error:
                continue
        self.members = {process.pid for process in found} | {self.group}
        return GroupSample(
            taken_at=time.monotonic(), cpu_seconds=cpu, rss_mb=rss, run_delay_seconds=0.0, members=len(found)
        )

    def proportional_mb(self) -> float:
        return self.sample().rss_mb


def accountant_for(processes: ProcessSet) -> GroupAccountant | PortableAccountant:
    """The accountant this machine allows: /proc on Linux, psutil (or the wall clock) elsewhere."""
    from harness.grader.portability import mode

    return GroupAccountant(processes) if mode() == "linux" else PortableAccountant(processes)
