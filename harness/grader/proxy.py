"""The grader's view of a submission: functions to call and handles to objects in the worker.

    model = submission.build_model((28, 28, 1), 10)          # a Handle
    history = submission.with_deadline(60).train(model, x, y) # plain data; 60 CPU seconds
    probabilities = model.predict(x_test, verbose=0)           # a NumPy array

Calls go to the worker process and come back as data; the candidate's code
never runs here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.grader.failures import (
    ImportFailed,
    MissingFunction,
    NotImplementedYet,
    OutOfMemory,
    RaisedInSubmission,
    RunBudgetExhausted,
    WorkerFailure,
)
from harness.grader.supervisor import CallBudget, WorkerProcess
from harness.project import WorkerLimits
from harness.wire.protocol import Encoder, HandleRef, decode, write_message

MAX_WORKER_STARTS = 6


class Handle:
    """An object that lives in the worker.  Call its methods; read attributes with :meth:`attr`."""

    def __init__(self, session: Submission, reference: HandleRef, generation: int):
        self._session = session
        self._reference = reference
        self._generation = generation

    @property
    def type_name(self) -> str:
        return self._reference.type_name

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return _RemoteMethod(self, name)

    def attr(self, name: str) -> Any:
        """Fetch the attribute ``name`` of the remote object: what the submission says it is, a claim."""
        return self._session._request("getattr", target=self, name=name, describe=f"reading .{name}")

    def __repr__(self) -> str:
        return f"<object of type {self._reference.type_name} in the submission process>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"expected data, but the submission returned {self._reference.type_name} ({self._reference.text})"
        )

    def __bool__(self):
        raise TypeError(f"an object of type {self._reference.type_name} from the submission has no truth value here")

    def __eq__(self, other):
        return self is other

    __hash__ = object.__hash__


class _RemoteMethod:
    def __init__(self, handle: Handle, name: str):
        self._handle = handle
        self._name = name

    def __call__(self, *args, **kwargs):
        return self._handle._session._request(
            "call",
            target=self._handle,
            name=self._name,
            args=args,
            kwargs=kwargs,
            describe=f".{self._name}()",
        )


class _DeadlineView:
    def __init__(self, session: Submission, deadline: float):
        self._session = session
        self._deadline = deadline

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._session.call(name, *args, deadline=self._deadline, **kwargs)


class Submission:
    """A proxy for the candidate's module, served by a worker that restarts after failures."""

    def __init__(
        self,
        module_file: Path | None,
        *,
        seed: int,
        limits: WorkerLimits,
        run_budget_seconds: float | None = None,
        worker_user: str | int | None = None,
        record_to: Path | None = None,
        threads: int = 1,
        preload: tuple[str, ...] = (),
        run_cgroup: str | None = None,
    ):
        self.module_file = Path(module_file) if module_file is not None else None  # None: standby, see assign()
        self.seed = seed  # the worker's seed: derived from the run's secret, never the secret itself
        self.limits = limits
        self.run_budget_seconds = run_budget_seconds  # CPU seconds of the candidate's code for the whole run
        self.worker_user = worker_user
        self.threads = threads
        self.preload = tuple(preload)
        self.run_cgroup = run_cgroup
        self.retired_cpu_seconds = 0.0
        self.worker: WorkerProcess | None = None
        self.generation = 0
        self.starts = 0
        self.import_failure: Exception | None = None
        self.functions: list[str] = []
        self.import_output = ""
        self.cell_errors: list[dict] = []  # cells of a notebook that raised when run (the others still ran)
        self.peak_rss_mb = 0.0
        self.greeted = False
        self.record_to = record_to

    # -- the worker's life -------------------------------------------------

    def spawn(self) -> None:
        """Start a worker process (it imports the module while the grader gets ready)."""
        if self.import_failure is not None or (self.worker is not None and self.worker.alive):
            return
        if self.starts >= MAX_WORKER_STARTS:
            raise WorkerFailure(f"the submission process failed {self.starts} times; later checks were not run")
        self._retire_worker()
        self.starts += 1
        self.generation += 1
        self.greeted = False
        self.worker = WorkerProcess(
            self.module_file,
            seed=self.seed,
            limits=self.limits,
            user=self.worker_user,
            threads=self.threads,
            preload=self.preload,
            run_cgroup=self.run_cgroup,
        )
        self.worker.start()

    def assign(self, module_file: Path, *, seed: int) -> None:
        """Name the submission of a standby proxy: its warm worker imports the module now.

        A standby worker that died while waiting is replaced, not counted against the candidate.
        """
        if self.module_file is not None:
            raise ValueError("this submission proxy already serves a module")
        self.module_file, self.seed = Path(module_file), seed
        if self.worker is not None and self.worker.alive:
            self.worker.assign(self.module_file, seed=seed)
        else:
            if self.worker is not None:
                self.worker.close()
            self.worker, self.starts = None, 0

    def start(self) -> None:
        """Make sure a worker has imported the module, unless the import is known to fail."""
        if self.import_failure is not None:
            raise self.import_failure
        if self.worker is None or not self.worker.alive:
            self.spawn()
        if self.greeted:
            return
        try:
            header, _ = self.worker.request(
                {"op": "hello"},
                [],
                budget=self._budget(self.limits.import_deadline_seconds, "the import's budget"),
                describe="importing your module",
            )
        except WorkerFailure as failure:
            self.import_output = self.worker.output.take_segment()
            self.import_failure = type(failure)(str(failure))
            raise self.import_failure from None
        self.import_output = self.worker.output.take_segment()
        if header.get("import_error"):
            error = header["import_error"]
            self.import_failure = ImportFailed(
                f"your module could not be imported: {error['type']}: {error['message']}",
                details=error.get("traceback", ""),
            )
            raise self.import_failure
        self.functions = list(header.get("functions", []))
        self.cell_errors = [error for error in header.get("cell_errors", []) if isinstance(error, dict)]
        self.greeted = True

    def _retire_worker(self) -> None:
        if self.worker is not None:
            self.peak_rss_mb = max(self.peak_rss_mb, self.worker.peak_rss_mb)
            self.worker.close()
            self.retired_cpu_seconds += self.worker.cpu_seconds

    @property
    def cpu_seconds(self) -> float:
        """CPU seconds the candidate's code has used in this run, over every worker."""
        return self.retired_cpu_seconds + (self.worker.cpu_seconds if self.worker is not None else 0.0)

    def close(self) -> None:
        self._retire_worker()
        self.worker = None

    def take_output(self) -> str:
        """Return what the candidate's code printed since the last call to this method.

        Until the worker has answered its first request, what it printed belongs to
        the import and is kept for :attr:`import_output`.
        """
        if self.worker is None or self.worker.output is None or not self.greeted:
            return ""
        return self.worker.output.take_segment()

    # -- calls -------------------------------------------------------------

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    def call(self, name: str, *args: Any, deadline: float | None = None, **kwargs: Any) -> Any:
        """Call the candidate's function ``name`` in the worker and return its result."""
        self.start()
        if name not in self.functions:
            failed = "; ".join(
                f"cell {error.get('cell')} raised {error.get('type')}: {error.get('message')}"
                for error in self.cell_errors
            )
            raise MissingFunction(
                f"your module defines no function named {name!r}"
                + (f"; it defines: {', '.join(self.functions)}" if self.functions else "")
                + (
                    f". Some notebook cells failed when run, so what they define is missing: {failed}" if failed else ""
                ),
                details="".join(error.get("traceback", "") for error in self.cell_errors)[:4000],
            )
        return self._request(
            "call", name=name, args=args, kwargs=kwargs, deadline=deadline, describe=f"{name}()", seed=self.seed
        )

    def with_deadline(self, seconds: float) -> _DeadlineView:
        """Give the next call a budget other than the default, in CPU seconds: ``with_deadline(60).train(...)``."""
        return _DeadlineView(self, seconds)

    def export(self, kind: str, handle: Handle) -> Any:
        """Ask the worker to describe an object it holds as data (see :mod:`harness.worker.exports`).

        What comes back is the submission's *claim* about the object: a check may score it only
        after verifying it against behaviour (see :mod:`harness.grader.keras_models`).
        """
        self.start()
        return self._request("export", name=kind, args=(handle,), describe=f"describing {handle.type_name}")

    def _budget(self, seconds: float, source: str) -> CallBudget:
        """The budget of the next call: ``seconds`` of CPU, or what is left of the run's budget if less."""
        if self.run_budget_seconds is None:
            return CallBudget(seconds, source)
        remaining = self.run_budget_seconds - self.cpu_seconds
        if remaining <= 0.5:
            raise RunBudgetExhausted(
                f"the budget of {self.run_budget_seconds:g} CPU seconds for your code in the whole grading run "
                f"was used up before this check (your code used {self.cpu_seconds:.1f} s). Look for the slowest "
                "function: training that runs far longer than needed, or an endless loop."
            )
        if remaining < seconds:
            return CallBudget(remaining, f"what was left of the run's budget of {self.run_budget_seconds:g} s")
        return CallBudget(seconds, source)

    def _request(
        self,
        operation: str,
        *,
        name: str,
        describe: str,
        target: Handle | None = None,
        args: tuple = (),
        kwargs: dict | None = None,
        deadline: float | None = None,
        seed: int | None = None,
    ) -> Any:
        self.start()
        encoder = Encoder()
        tree_args = encoder.encode(list(self._references(args)))
        tree_kwargs = encoder.encode({key: self._reference_of(value) for key, value in (kwargs or {}).items()})
        header = {
            "op": operation,
            "name": name,
            "args": tree_args,
            "kwargs": tree_kwargs,
            "seed": seed,
            "target": None if target is None else self._reference_of(target).number,
        }
        if self.record_to is not None:
            with open(self.record_to, "ab") as recording:
                write_message(recording, header, encoder.arrays, cap_bytes=self.limits.message_cap_bytes)
        budget = (
            self._budget(deadline, f"the budget this check gives {describe}")
            if deadline
            else self._budget(self.limits.call_deadline_seconds, "the default budget of one call")
        )
        reply, arrays = self.worker.request(header, encoder.arrays, budget=budget, describe=describe)
        if not reply.get("ok"):
            error = reply.get("error") or {}
            if error.get("not_implemented"):
                raise NotImplementedYet(describe, error)
            if error.get("memory"):
                raise OutOfMemory(f"{describe} ran out of memory (MemoryError): {error.get('message', '')}")
            raise RaisedInSubmission(describe, error)
        generation = self.generation
        return decode(reply.get("value"), arrays, lambda reference: Handle(self, reference, generation))

    def _references(self, values):
        for value in values:
            yield self._reference_of(value)

    def _reference_of(self, value: Any) -> Any:
        if isinstance(value, Handle):
            if value._generation != self.generation:
                raise WorkerFailure(
                    "this object was lost when the submission process restarted after an earlier failure"
                )
            return value._reference
        if isinstance(value, (list, tuple)):
            converted = [self._reference_of(item) for item in value]
            return converted if isinstance(value, list) else tuple(converted)
        if isinstance(value, dict):
            return {key: self._reference_of(item) for key, item in value.items()}
        return value
