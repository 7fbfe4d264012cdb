"""Keep track of every process a submission starts, even one that calls ``setsid()``, and end them all.

A process group is not enough: a child that calls ``setsid()`` leaves it, escapes
``killpg`` and the kernel's parent-death signal, and can outlive the grading run.
Two mechanisms close that door:

- **a cgroup** (v2) when the host lets us make one: the kernel keeps every
  descendant in it whatever it does, ``cgroup.procs`` lists them, ``cpu.stat``
  counts their CPU time (even of those that have ended), ``cgroup.kill`` ends
  them all at once, and ``pids.max`` / ``memory.max`` limit them where those
  controllers are enabled;
- otherwise **a subreaper**: the grader process marks itself
  ``PR_SET_CHILD_SUBREAPER``, so a descendant orphaned by a double fork is
  re-parented to the grader instead of to init, and stays findable by walking
  parent links in ``/proc``.  At the end every descendant is killed, repeatedly,
  until none is left.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
import uuid
from pathlib import Path
from typing import ClassVar

PR_SET_CHILD_SUBREAPER = 36
CGROUP_MOUNTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))
KILL_ROUNDS = 20
RUN_CGROUP_PREFIX = "ml-grader-run-"
STALE_SECONDS = 600


def become_subreaper() -> bool:
    """Make orphaned descendants of this process its children (Linux only); tell whether it worked."""
    from harness.grader.portability import mode

    if mode() != "linux":
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return int(handle.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _children_of(pid: int) -> set[int]:
    """The live children of ``pid`` (from /proc/PID/task/*/children where the kernel offers it)."""
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", "rb") as handle:
                found |= {int(child) for child in handle.read().split()}
        return found
    except (OSError, ValueError):
        return {child for child in descendants(pid) if _parent_of(child) == pid}


def descendants(root: int) -> set[int]:
    """Every live process below ``root`` (by parent links), not ``root`` itself."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return set()
    for entry in entries:
        if entry.isdigit():
            parent = _parent_of(int(entry))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    found: set[int] = set()
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


class ProcessSet:
    """The processes of one worker and everything it started."""

    def __init__(self, leader: int):
        self.leader = leader

    def members(self) -> set[int]:
        raise NotImplementedError

    def cpu_seconds(self) -> float | None:
        """CPU time of every member, ended ones included, when the mechanism counts it; else None."""
        return None

    def kill_all(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.kill_all()


class DescendantSet(ProcessSet):
    """The worker, its descendants, and the orphans of its double forks re-parented to the grader.

    Leaders of other live sets (a worker starting while the last one is being killed) and their
    descendants are never members, and a closed set has no members: killing one set can never
    touch another.
    """

    _live_leaders: ClassVar[set[int]] = set()

    def __init__(self, leader: int, *, reaper: int | None = None):
        super().__init__(leader)
        self.reaper = reaper if reaper is not None else os.getpid()
        self.closed = False
        # Children the reaper had before this worker (none in a grader process) are not the worker's.
        self._strangers = {pid for pid in _children_of(self.reaper) if pid != leader}
        DescendantSet._live_leaders.add(leader)

    def members(self) -> set[int]:
        if self.closed:
            return set()
        found = {self.leader} | descendants(self.leader)
        others = DescendantSet._live_leaders - {self.leader}
        for child in _children_of(self.reaper) - self._strangers - others - {self.leader}:
            found |= {child} | descendants(child)
        return found

    def kill_all(self) -> None:
        # The worker leads its own session and process group: one killpg ends every member that stayed in
        # it at once, so a fork bomb cannot refill the pids faster than they are killed one by one. (A
        # process with SIGKILL pending cannot complete a fork.) Members that left the group follow below.
        try:
            os.killpg(self.leader, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for _ in range(KILL_ROUNDS):
            alive = [pid for pid in self.members() if _exists(pid)]
            if not alive:
                return
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            _reap_orphans(self.reaper, keep=DescendantSet._live_leaders)
            time.sleep(0.01)

    def close(self) -> None:
        self.kill_all()
        self.closed = True
        DescendantSet._live_leaders.discard(self.leader)


class CgroupSet(ProcessSet):
    """The worker in a cgroup of its own, below the run's cgroup."""

    def __init__(self, leader: int, path: Path):
        super().__init__(leader)
        self.path = path

    def members(self) -> set[int]:
        try:
            return {int(line) for line in (self.path / "cgroup.procs").read_text().split()}
        except (OSError, ValueError):
            return set()

    def cpu_seconds(self) -> float | None:
        try:
            for line in (self.path / "cpu.stat").read_text().splitlines():
                if line.startswith("usage_usec "):
                    return int(line.split()[1]) / 1e6
        except (OSError, ValueError):
            return None
        return None

    def kill_all(self) -> None:
        try:
            (self.path / "cgroup.kill").write_text("1")
        except OSError:
            pass
        for _ in range(KILL_ROUNDS):
            alive = self.members()
            if not alive:
                break
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.01)

    def close(self) -> None:
        self.kill_all()
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.02)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = _state_of(pid)
    return state not in (None, "Z")


def _state_of(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return None


def _reap_orphans(reaper: int, *, keep: set[int]) -> None:
    """Collect the zombies of orphans the grader inherited as subreaper, never a worker's own exit status."""
    if reaper != os.getpid():
        return
    for child in _children_of(reaper) - keep:
        if _state_of(child) == "Z":
            try:
                os.waitpid(child, os.WNOHANG)
            except ChildProcessError:
                pass


def make_worker_cgroup(
    run_cgroup: str | None, *, pids_max: int | None = None, memory_max_bytes: int | None = None
) -> Path | None:
    """Create a cgroup for one worker below ``run_cgroup`` (made by the host), or return None if we cannot."""
    if not run_cgroup:
        return None
    path = Path(run_cgroup) / f"worker-{uuid.uuid4().hex[:8]}"
    try:
        path.mkdir()
    except OSError:
        return None
    for name, value in (("pids.max", pids_max), ("memory.max", memory_max_bytes), ("memory.swap.max", 0)):
        if value is not None and (path / name).exists():
            try:
                (path / name).write_text(str(value))
            except OSError:
                pass
    return path


def join_cgroup(path: Path, pid: int) -> bool:
    """Move ``pid`` into the cgroup at ``path``; tell whether it worked."""
    try:
        (path / "cgroup.procs").write_text(str(pid))
        return True
    except OSError:
        return False


def own_cgroup_root() -> Path | None:
    """The folder of a cgroup v2 hierarchy where this process may make child cgroups, or None."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    relative = next((line.split("::", 1)[1] for line in lines if line.startswith("0::")), None)
    if relative is None:
        return None
    for mount in CGROUP_MOUNTS:
        if (mount / "cgroup.controllers").exists():
            folder = mount / relative.lstrip("/")
            if folder.is_dir() and os.access(folder, os.W_OK):
                return folder
    return None


def make_run_cgroup() -> Path | None:
    """Create a cgroup for one grading run below this process's own (the host does this), or None."""
    root = own_cgroup_root()
    if root is None:
        return None
    _remove_stale_run_cgroups(root)
    path = root / f"{RUN_CGROUP_PREFIX}{uuid.uuid4().hex[:12]}"
    try:
        path.mkdir()
    except OSError:
        return None
    return path


def _remove_stale_run_cgroups(root: Path) -> None:
    """Remove run cgroups that a crashed host left behind: empty, and older than STALE_SECONDS."""
    for folder in root.glob(f"{RUN_CGROUP_PREFIX}*"):
        try:
            empty = "populated 0" in (folder / "cgroup.events").read_text()
            old = time.time() - folder.stat().st_mtime > STALE_SECONDS
        except OSError:
            continue
        if empty and old:
            remove_run_cgroup(folder)


def remove_run_cgroup(path: Path | None) -> None:
    """End every process left in a run's cgroup and remove it and its worker cgroups."""
    if path is None:
        return
    for child in sorted((folder for folder in path.iterdir() if folder.is_dir()), reverse=True):
        remove_run_cgroup(child)
    CgroupSet(0, path).close()


class PortableSet(ProcessSet):
    """The worker and its descendants found with psutil, where there is no /proc (macOS, Windows)."""

    def members(self) -> set[int]:
        try:
            import psutil

            leader = psutil.Process(self.leader)
            return {self.leader} | {child.pid for child in leader.children(recursive=True)}
        except Exception:  # psutil missing, or the leader gone
            return {self.leader}

    def kill_all(self) -> None:
        try:
            import psutil
        except ImportError:
            return  # the supervisor kills the worker itself; its children cannot be found here
        for pid in self.members():
            try:
                psutil.Process(pid).kill()
            except psutil.Error:
                pass


def process_set_for(leader: int, run_cgroup: str | None, *, pids_max: int, memory_max_bytes: int) -> ProcessSet:
    """The strongest way this machine offers to follow a worker's processes."""
    from harness.grader.portability import mode

    if mode() != "linux":
        return PortableSet(leader)
    cgroup = make_worker_cgroup(run_cgroup, pids_max=pids_max, memory_max_bytes=memory_max_bytes)
    if cgroup is not None and join_cgroup(cgroup, leader):
        return CgroupSet(leader, cgroup)
    return DescendantSet(leader)
