"""The submission worker: imports the candidate's module and runs the calls the grader asks for.

This process is untrusted once the candidate's module is imported: it may be
patched, may lie and may die at any moment.  It therefore decides nothing.  It
only answers requests with plain data (see :mod:`harness.wire.protocol`) and keeps
every other object in a table, returned to the grader as a numbered handle.

Run as ``python -m harness.worker --module-file F --request-fd R --response-fd W``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from harness.wire.protocol import (
    ConnectionClosed,
    Encoder,
    HandleRef,
    ProtocolError,
    decode,
    read_message,
    write_message,
)
from harness.worker import exports
from harness.worker.runtime import preload, seed_everything

SUBMISSION_MODULE_NAME = "submission"
NOTEBOOK_CELL_PREFIX = "cell "
MAX_TRACEBACK_CHARS = 4000
MAX_MESSAGE_CHARS = 2000
MAX_REPR_CHARS = 200


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 20] + f"... [{len(text) - limit + 20} more characters]"


def _safe_repr(value: Any) -> str:
    try:
        return _trim(repr(value), MAX_REPR_CHARS)
    except Exception:  # a candidate's __repr__ may raise anything
        return f"<{type(value).__name__} object>"


def describe_exception(error: BaseException, module_file: str | None) -> dict:
    """Describe an exception as data, keeping only the frames in the candidate's code."""
    frames: list[traceback.FrameSummary] = list(traceback.extract_tb(error.__traceback__))
    if module_file:
        own = [
            frame
            for frame in frames
            if frame.name != "__run_notebook_cell__"
            and (os.path.abspath(frame.filename) == module_file or frame.filename.startswith(NOTEBOOK_CELL_PREFIX))
        ]
        frames = own or frames[-3:]
    lines = traceback.format_list(frames)
    if isinstance(error, SyntaxError):
        lines = [f'  File "{error.filename}", line {error.lineno}\n']
        if error.text:
            lines.append("    " + error.text.rstrip("\n") + "\n")
            if error.offset:
                lines.append("    " + " " * (error.offset - 1) + "^\n")
    text = "".join(lines)
    if module_file:
        text = text.replace(str(Path(module_file).parent) + os.sep, "")
    try:
        message = str(error)
    except Exception:
        message = "<the exception's message could not be shown>"
    return {
        "type": type(error).__name__,
        "message": _trim(message, MAX_MESSAGE_CHARS),
        "traceback": _trim(text, MAX_TRACEBACK_CHARS),
        "not_implemented": isinstance(error, NotImplementedError),
        "memory": isinstance(error, MemoryError),
    }


class HandleTable:
    """Objects kept in the worker, numbered for the grader."""

    def __init__(self):
        self._objects: dict[int, Any] = {}
        self._next = 1

    def add(self, value: Any) -> HandleRef:
        number = self._next
        self._next += 1
        self._objects[number] = value
        return HandleRef(number, f"{type(value).__module__}.{type(value).__qualname__}", _safe_repr(value))

    def get(self, reference: HandleRef) -> Any:
        try:
            return self._objects[reference.number]
        except KeyError:
            raise LookupError(f"no object with handle {reference.number}") from None

    def release(self, numbers: list[int]) -> None:
        for number in numbers:
            self._objects.pop(number, None)


def _to_plain(value: Any) -> Any:
    """Turn TensorFlow tensors into NumPy arrays so that they travel as data."""
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is not None and isinstance(value, (tensorflow.Tensor, tensorflow.Variable)):
        try:
            return value.numpy()
        except Exception:
            return value
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        converted = [_to_plain(item) for item in value]
        return converted if type(value) is list else tuple(converted)
    if type(value) is dict:
        return {key: _to_plain(item) for key, item in value.items()}
    return value


class Worker:
    """Serve requests on a pair of pipes until the grader closes them."""

    def __init__(self, module_file: str, request_stream, response_stream, cap_bytes: int):
        self.module_file = os.path.abspath(module_file)
        self.requests = request_stream
        self.responses = response_stream
        self.cap_bytes = cap_bytes
        self.handles = HandleTable()
        self.module: Any = None
        self.import_error: dict | None = None

    def import_submission(self) -> None:
        started = time.perf_counter()
        directory = str(Path(self.module_file).parent)
        if directory not in sys.path:
            sys.path.insert(0, directory)
        try:
            spec = importlib.util.spec_from_file_location(SUBMISSION_MODULE_NAME, self.module_file)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {self.module_file} as a Python module")
            module = importlib.util.module_from_spec(spec)
            sys.modules[SUBMISSION_MODULE_NAME] = module
            spec.loader.exec_module(module)
            self.module = module
        except BaseException as error:  # SyntaxError, SystemExit, anything
            self.import_error = describe_exception(error, self.module_file)
            if isinstance(error, SyntaxError):
                self.import_error["message"] = (
                    f"{error.msg} (line {error.lineno}" + (f", column {error.offset}" if error.offset else "") + ")"
                )
                if "utf-8" in str(error.msg).lower() or "unicode error" in str(error.msg).lower():
                    self.import_error["message"] += (
                        ". Your file is not saved as UTF-8 text: save it again as UTF-8 (in most editors: "
                        "File > Save with Encoding > UTF-8)"
                    )
        self.import_seconds = time.perf_counter() - started

    def send(self, header: dict, value: Any = None) -> None:
        encoder = Encoder(make_handle=self.handles.add)
        try:
            tree = encoder.encode(_to_plain(value))
            write_message(self.responses, dict(header, value=tree), encoder.arrays, cap_bytes=self.cap_bytes)
        except ProtocolError as error:
            write_message(
                self.responses,
                {
                    "ok": False,
                    "error": {
                        "type": "ReturnValueTooLarge" if "exceeds the cap" in str(error) else "UnsendableValue",
                        "message": str(error),
                        "traceback": "",
                        "not_implemented": False,
                        "memory": False,
                    },
                },
            )

    def resolve(self, reference: HandleRef) -> Any:
        return self.handles.get(reference)

    def handle(self, header: dict, arrays: list) -> None:
        operation = header.get("op")
        if operation == "hello":
            functions: list[str] = (
                sorted(
                    name
                    for name, value in vars(self.module or object()).items()
                    if callable(value) and not name.startswith("_")
                )
                if self.module
                else []
            )
            cell_errors = [
                dict(describe_exception(error, self.module_file), cell=int(number))
                for number, error in getattr(self.module, "__notebook_cell_errors__", [])[:20]
            ]
            self.send(
                {
                    "ok": True,
                    "import_error": self.import_error,
                    "functions": functions,
                    "import_seconds": self.import_seconds,
                    "pid": os.getpid(),
                    "cell_errors": cell_errors,
                }
            )
            return
        if operation == "release":
            self.handles.release([int(number) for number in header.get("handles", [])])
            self.send({"ok": True})
            return
        try:
            args = decode(header.get("args", []), arrays, self.resolve)
            kwargs = decode(header.get("kwargs", {}), arrays, self.resolve)
            if operation == "call":
                value = self._call(header, args, kwargs)
            elif operation == "getattr":
                value = getattr(self.handles.get(HandleRef(int(header["target"]))), header["name"])
            elif operation == "export":
                value = exports.run(header["name"], *args)
            else:
                raise ValueError(f"unknown operation {operation!r}")
        except BaseException as error:  # the candidate's code may raise anything, SystemExit included
            self.send({"ok": False, "error": describe_exception(error, self.module_file)})
            return
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        self.send({"ok": True}, value)

    def _call(self, header: dict, args: list, kwargs: dict) -> Any:
        name = header["name"]
        target = header.get("target")
        if target is None:
            if self.module is None:
                raise ImportError("the submission could not be imported")
            function = getattr(self.module, name, None)
            if function is None:
                raise AttributeError(f"your module defines no function named {name!r}")
            if header.get("seed") is not None:
                seed_everything(int(header["seed"]))
        else:
            function = getattr(self.handles.get(HandleRef(int(target))), name)
        return function(*args, **kwargs)

    def serve(self) -> None:
        while True:
            try:
                header, arrays = read_message(self.requests, cap_bytes=self.cap_bytes)
            except ConnectionClosed:
                return
            self.handle(header, arrays)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--module-file", help="the candidate's module (without it: --standby)")
    parser.add_argument(
        "--standby",
        action="store_true",
        help="import --preload, then wait for the first request to assign the module and the seed",
    )
    parser.add_argument("--request-fd", type=int)
    parser.add_argument("--response-fd", type=int)
    parser.add_argument(
        "--stdio", action="store_true", help="requests on standard input, replies on standard output (Windows)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cap-bytes", type=int, default=256 * 1024 * 1024)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--private-dir", required=True, help="a folder to create and work in (must not exist)")
    parser.add_argument("--preload", default="", help="comma-separated modules to import before the submission")
    options = parser.parse_args(argv)
    _raise_own_oom_priority()
    _move_into_private_folder(options.private_dir)
    if options.stdio:
        requests, responses = _take_standard_streams()
    else:
        requests = os.fdopen(options.request_fd, "rb", buffering=0)
        responses = os.fdopen(options.response_fd, "wb", buffering=0)
    if not options.standby and not options.module_file:
        parser.error("--module-file is required unless --standby")
    for note in preload([name for name in options.preload.split(",") if name], threads=options.threads):
        print(note, file=sys.stderr)
    module_file, seed = options.module_file, options.seed
    if options.standby:  # warm: the libraries are imported; now wait for the submission
        try:
            module_file, seed = _await_assignment(requests, options.cap_bytes)
        except (ConnectionClosed, ProtocolError, ValueError):
            return  # the grader ended the standby, or broke the protocol: nothing to serve
    seed_everything(seed)
    worker = Worker(module_file, requests, responses, options.cap_bytes)
    worker.import_submission()
    worker.serve()


def _await_assignment(requests, cap_bytes: int) -> tuple[str, int]:
    """Read the one ``assign`` message a standby worker waits for: the module to import and the seed."""
    header, _ = read_message(requests, cap_bytes=cap_bytes)
    if header.get("op") != "assign" or not isinstance(header.get("module_file"), str):
        raise ValueError("a standby worker expects an assign message first")
    return header["module_file"], int(header.get("seed", 0))


def _take_standard_streams():
    """Keep standard input and output for the protocol; give the candidate's code nothing to read and
    standard error to print to, so that neither input() nor print() can touch a message."""
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    responses = os.fdopen(os.dup(1), "wb", buffering=0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - stays open for the worker's whole life
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    return requests, responses


def _move_into_private_folder(folder: str) -> None:
    """Work in a fresh folder only this process can enter, never in a shared one such as /tmp.

    The folder must not exist yet: one made in advance by someone else is refused.
    """
    import tempfile

    os.mkdir(folder, 0o700)
    os.chdir(folder)
    for name in ("HOME", "TMPDIR"):
        os.environ[name] = folder
    os.environ["KERAS_HOME"] = os.path.join(folder, "keras")
    tempfile.tempdir = folder


def _raise_own_oom_priority() -> None:
    """Ask the kernel to kill this process first when memory runs out."""
    try:
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass


if __name__ == "__main__":
    main()
