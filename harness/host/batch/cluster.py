"""Grade a batch on a Dask cluster: workers grade, the client validates and keeps the gradebook.

``--cluster tcp://scheduler:8786`` connects to a running ``dask scheduler``; ``--cluster local:N``
starts a ``LocalCluster`` of N single-threaded worker processes on this machine.

- Every worker is checked first: its harness and graders must hash like the client's, or it is
  refused, by address, with the reason.  Workers that join later are checked the same way before
  they get a task.
- A submission travels as the bytes of a zip with its SHA-256 (no shared file system; at most
  :data:`~harness.host.batch.cluster_task.MAX_SHIPPED_BYTES`); the result comes back as JSON text and
  is validated here against the schema, the declared checks and the data secret before it is committed.
- Faults: a task whose worker dies is run again on another worker by the scheduler; after the
  scheduler's ``allowed-failures`` (set it to 2: ``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=2``)
  it is recorded as a grading error.  A task running longer than the exercise's budget allows is
  cancelled and recorded as a grading error.  A lost scheduler stops the batch with
  :class:`ClusterLost` (exit code 4); every result already committed stays, and the same command
  resumes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from harness.errors import BadInput, GradeError
from harness.host.backends.base import RunOutput
from harness.host.batch.cluster_task import grade_payload, pack_submission, worker_identity
from harness.host.batch.discovery import Task
from harness.host.batch.keys import TaskKey
from harness.host.grading import reconcile
from harness.project import Exercise
from harness.wire.results import RunResult
from harness.wire.text import clean_text

EXIT_CLUSTER_LOST = 4
POLL_SECONDS = 1.0
RECHECK_WORKERS_SECONDS = 5.0
LOST_AFTER_SECONDS = 20.0  # the scheduler unreachable this long: the batch stops
TASK_SLACK_SECONDS = 180.0  # beyond the exercise's own backstop: shipping, a container, importing TensorFlow


class ClusterLost(GradeError):
    """The Dask scheduler went away mid-batch; the gradebook keeps every result already committed."""

    exit_code = EXIT_CLUSTER_LOST


class ClusterUnusable(BadInput, ValueError):
    """The cluster cannot be used: no Dask installed, no scheduler there, or no worker that may grade."""


def task_timeout(exercise: Exercise) -> float:
    """How long a task may run on a worker before it is cancelled: the exercise's own backstop, plus slack."""
    return exercise.limits.wall_backstop(exercise.time_budget_seconds) + TASK_SLACK_SECONDS


@dataclass
class ShippingStats:
    """What the cluster cost: bytes sent and time spent around the grading itself."""

    tasks: int = 0
    bytes_shipped: int = 0
    grading_seconds: float = 0.0  # inside grade_submission on the workers
    round_trip_seconds: float = 0.0  # from submitting a task to having its result here
    workers: dict[str, dict] = field(default_factory=dict)


def _connect(address: str):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterUnusable("--cluster needs Dask: pip install 'ml-grader[cluster]'") from None
    if address.startswith("local:"):
        try:
            workers = int(address.split(":", 1)[1])
        except ValueError:
            raise ClusterUnusable(f"--cluster {address}: write local:N with N the number of workers") from None
        if workers < 1:
            raise ClusterUnusable("--cluster local:N needs at least one worker")
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
        return Client(cluster), cluster
    if not address.startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://")):
        raise ClusterUnusable(f"--cluster {address}: give a scheduler address (tcp://host:8786) or local:N")
    try:
        return Client(address, timeout=30), None
    except (OSError, TimeoutError) as error:
        raise ClusterUnusable(f"no Dask scheduler answers at {address}: {error}") from None


class ClusterSession:
    """A connection to the cluster for one batch: checked workers, and tasks graded on them."""

    def __init__(
        self, address: str, *, exercises: list[Exercise], graders: dict[str, str], notify: Callable[[str], None]
    ):
        self.address = address
        self.exercises = {exercise.slug: exercise for exercise in exercises}
        self.graders = graders
        self.notify = notify
        self.accepted: dict[str, dict] = {}
        self.refused: dict[str, str] = {}
        self.stats = ShippingStats()
        self._last_check = 0.0

    def __enter__(self) -> ClusterSession:
        # Dask logs a lost connection with a traceback; this session reports it in one line instead.
        # Importing distributed configures its loggers, so the levels are set after that import.
        import distributed  # noqa: F401

        for name in ("distributed.client", "distributed.core", "distributed.comm", "distributed.utils"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self.client, self.cluster = _connect(self.address)
        self.notify(f"cluster {self.address}: dashboard at {self.client.dashboard_link}")
        deadline = time.monotonic() + 60
        while not self.client.scheduler_info().get("workers") and time.monotonic() < deadline:
            time.sleep(0.5)
        self.check_workers(force=True)
        if not self.accepted:
            self.close()
            raise ClusterUnusable(
                "no worker of the cluster may grade: "
                + ("; ".join(f"{address}: {reason}" for address, reason in self.refused.items()) or "it has no workers")
            )
        return self

    def __exit__(self, *exception) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.client.close(timeout=10)
        except Exception:
            pass
        if self.cluster is not None:
            self.cluster.close(timeout=30)

    @property
    def images(self) -> set[str]:
        """The images (or "local") the accepted workers grade with: part of every task's key."""
        return {identity["image"] for identity in self.accepted.values()}

    def check_workers(self, *, force: bool = False) -> None:
        """Check the workers not seen yet: accept those whose harness and graders hash like ours."""
        if not force and time.monotonic() - self._last_check < RECHECK_WORKERS_SECONDS:
            return
        self._last_check = time.monotonic()
        present = set(self.client.scheduler_info().get("workers", {}))
        for gone in set(self.accepted) - present:
            del self.accepted[gone]
        new = sorted(present - set(self.accepted) - set(self.refused))
        if not new:
            return
        identities = self.client.run(worker_identity, list(self.graders), workers=new, on_error="return")
        for address, identity in identities.items():
            if isinstance(identity, BaseException):
                self.refused[address] = f"could not say what it grades with ({clean_text(identity)})"
            else:
                different = [slug for slug, digest in self.graders.items() if identity["graders"].get(slug) != digest]
                if different:
                    self.refused[address] = (
                        f"its grader for {', '.join(different)} differs from this machine's "
                        f"(harness {identity['harness']}); install the same project version there"
                    )
                else:
                    self.accepted[address] = identity
                    self.stats.workers[address] = identity
                    self.notify(
                        f"worker {address} ({identity['host']}) grades with the {identity['backend']} "
                        f"backend" + (f": {identity['reason']}" if identity["reason"] else "")
                    )
                    continue
            self.notify(f"refused worker {address}: {self.refused[address]}")

    def _payload(
        self, task: Task, key: TaskKey, *, seed: int, include_hidden: bool, data_secret: str, prefer: str | None
    ) -> dict:
        if task.path is None:
            raise BadInput("nothing to ship: the task has no submission")
        data = pack_submission(task.path)
        self.stats.bytes_shipped += len(data)
        return {
            "exercise": task.exercise.slug,
            "grader_hash": self.graders[task.exercise.slug],
            "submission": data,
            "payload_sha256": hashlib.sha256(data).hexdigest(),
            "file_name": task.path.name if task.path.is_file() else None,
            "seed": seed,
            "include_hidden": include_hidden,
            "data_secret": data_secret,
            "prefer": prefer,
        }
        # no candidate's name or id: a worker needs only the files

    def grade_all(
        self,
        pending: Iterable[tuple[Task, TaskKey]],
        *,
        seed: int,
        include_hidden: bool,
        data_secret: str,
        prefer: str | None,
        record: Callable[[Task, TaskKey, RunResult], None],
        problem: Callable[[Task, str, bool], RunResult],
    ) -> None:
        """Grade every pending task on the cluster; ``record`` each validated result as it arrives."""
        from distributed import wait
        from distributed.client import FutureCancelledError, FuturesCancelledError

        waiting = list(pending)
        refusals: dict[str, int] = {}
        running: dict = {}  # future -> (task, key, submitted at, started at or None)
        capacity = lambda: max(2, 2 * len(self.accepted))  # noqa: E731 - a few queued per worker keeps them busy
        unreachable_since: float | None = None
        while waiting or running:
            status = self.client.status
            if status != "running":
                unreachable_since = unreachable_since or time.monotonic()
                if (
                    status in ("closing", "closed", "failed")
                    or time.monotonic() - unreachable_since > LOST_AFTER_SECONDS
                ):
                    raise ClusterLost(
                        f"lost the Dask scheduler at {self.address} (the client is {status}); every "
                        "result that arrived is in the gradebook: run the same command to resume"
                    )
                time.sleep(POLL_SECONDS)
                continue
            unreachable_since = None
            self.check_workers()
            while waiting and len(running) < capacity() and self.accepted:
                task, key = waiting.pop(0)
                try:
                    payload = self._payload(
                        task, key, seed=seed, include_hidden=include_hidden, data_secret=data_secret, prefer=prefer
                    )
                except (BadInput, OSError) as error:
                    record(task, key, problem(task, clean_text(error), False))
                    continue
                future = self.client.submit(
                    grade_payload,
                    payload,
                    pure=False,
                    workers=sorted(self.accepted),
                    allow_other_workers=False,
                    key=f"grade-{key.digest[:16]}-{time.time_ns()}",
                )
                running[future] = (task, key, time.monotonic(), None)
            try:
                done, _ = wait(list(running), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            except FuturesCancelledError as error:  # every future is cancelled when the scheduler is lost
                raise ClusterLost(
                    f"lost the Dask scheduler at {self.address} ({clean_text(error).splitlines()[0]}); "
                    "every result that arrived is in the gradebook: run the same command to resume"
                ) from None
            self._time_out(running, record, problem)
            for future in done:
                if future not in running:
                    continue
                task, key, submitted, _ = running.pop(future)
                try:
                    answer = future.result(timeout=30)
                except FutureCancelledError:
                    continue  # cancelled here, for taking too long: already recorded
                except Exception as error:
                    name = type(error).__name__
                    record(
                        task,
                        key,
                        problem(
                            task,
                            f"the cluster could not grade this submission ({name}: "
                            f"{clean_text(error)}); grade it again with --retry-errors",
                            True,
                        ),
                    )
                    continue
                self.stats.round_trip_seconds += time.monotonic() - submitted
                if answer.get("kind") == "refused":
                    refusals[key.digest] = refusals.get(key.digest, 0) + 1
                    reason = clean_text(answer.get("message"))
                    if refusals[key.digest] > 2:
                        record(task, key, problem(task, f"workers refused this task ({reason})", True))
                    else:
                        self.notify(f"a worker refused a task ({reason}); it is sent again")
                        self.check_workers(force=True)
                        waiting.append((task, key))
                    continue
                record(
                    task,
                    key,
                    self._validated(
                        task, answer, seed=seed, include_hidden=include_hidden, data_secret=data_secret, problem=problem
                    ),
                )

    def _time_out(self, running: dict, record, problem) -> None:
        """Cancel the tasks that have run on a worker for longer than their exercise allows."""
        try:
            processing = {key for keys in self.client.processing().values() for key in keys}
        except (OSError, TimeoutError):
            return
        now = time.monotonic()
        for future, (task, key, submitted, started) in list(running.items()):
            if started is None and future.key in processing:
                running[future] = (task, key, submitted, now)
            elif started is not None and now - started > task_timeout(task.exercise):
                future.cancel()
                del running[future]
                record(
                    task,
                    key,
                    problem(
                        task,
                        f"the worker took longer than {task_timeout(task.exercise):.0f} s; "
                        "grade it again with --retry-errors",
                        True,
                    ),
                )

    def _validated(
        self, task: Task, answer: dict, *, seed: int, include_hidden: bool, data_secret: str, problem
    ) -> RunResult:
        kind = answer.get("kind")
        if kind == "problem":
            return problem(task, clean_text(answer.get("message", "")), False)
        if kind != "graded":
            return problem(task, clean_text(answer.get("message", "the worker returned no result")), True)
        try:
            raw = json.loads(answer["result"])
        except (KeyError, TypeError, ValueError) as error:
            return problem(task, f"the worker's result is not JSON ({clean_text(error)})", True)
        result = reconcile(
            RunOutput(result=raw, log="", image=str(answer.get("image", ""))),
            exercise=task.exercise,
            include_hidden=include_hidden,
            seed=seed,
            data_secret=data_secret,
        )
        self.stats.tasks += 1
        self.stats.grading_seconds += float(result.durations.get("total_seconds", 0.0) or 0.0)
        result.image = result.image or str(answer.get("image", ""))
        return result
