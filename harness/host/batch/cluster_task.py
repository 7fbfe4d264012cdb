"""What a Dask worker runs for a batch: say who it is, and grade one shipped submission.

Both functions take and return plain data only (str, bytes, int, bool, dicts of them). The
submission arrives as the bytes of a zip with its hash; it is unpacked with the same limits as a
candidate's zip and its hash checked before anything is graded.  The worker grades with the docker
backend when its engine and image are there, else with local, and returns the result as JSON text,
which the client validates again before it commits anything: a worker never writes the gradebook.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import platform
import tempfile
import threading
import traceback
import zipfile
from pathlib import Path

import harness
from harness.errors import BadInput
from harness.host.batch.archives import ArchiveLimits, extract_archive
from harness.host.batch.keys import grader_hash
from harness.project import get_exercise
from harness.wire.text import clean_text

MAX_SHIPPED_BYTES = 64 * 1024 * 1024  # a submission larger than this is not sent to a worker
PAYLOAD_ROOT = "submission"


def pack_submission(path: Path) -> bytes:
    """The zip bytes of a submission (a folder's files, or one file), for shipping to a worker."""
    path = Path(path)
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = (
            [path]
            if path.is_file()
            else sorted(item for item in path.rglob("*") if not item.is_dir() or item.is_symlink())
        )
        for file in files:
            if file.is_symlink() or not file.is_file():
                raise BadInput(f"{file.name} is a symbolic link or special file; links in submissions are refused")
            total += file.stat().st_size
            if total > MAX_SHIPPED_BYTES:
                raise BadInput(
                    f"the submission is larger than {MAX_SHIPPED_BYTES // 2**20} MB: too large to send to "
                    "a cluster worker"
                )
            name = file.name if path.is_file() else file.relative_to(path).as_posix()
            archive.write(file, f"{PAYLOAD_ROOT}/{name}")
    return buffer.getvalue()


def worker_identity(slugs: list[str]) -> dict:
    """What this worker would grade with: the harness version, its graders' hashes, its backend and image."""
    from harness.host.backends import choose_backend

    graders = {}
    for slug in slugs:
        try:
            graders[slug] = grader_hash(get_exercise(slug))
        except BadInput as problem:
            graders[slug] = f"missing: {problem}"
    choice = choose_backend("auto")
    return {
        "harness": harness.__version__,
        "graders": graders,
        "backend": choice.backend.name,
        "image": getattr(choice.backend, "image", None) or choice.backend.name,
        "reason": choice.reason or "",
        "host": platform.node(),
        "pid": os.getpid(),
    }


_WARM: list = []
_WARM_LOCK = threading.Lock()


def _worker_threads() -> int:
    """How many tasks this Dask worker runs at once (1 outside a worker)."""
    try:
        from distributed import get_worker

        return int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return 1


def _stay_warm() -> None:
    """Keep a standby grader warm in this worker process from its first task on, as local batches do:
    only while the worker runs fewer tasks at once than it has cores (see ``keep_warm_below_cores``).

    A standby left when the worker exits ends itself: its grader reads end-of-file on its standard input.
    """
    with _WARM_LOCK:
        if not _WARM:
            from harness.host.backends.standby import keep_warm_below_cores

            _WARM.append(keep_warm_below_cores(_worker_threads()))
            _WARM[0].__enter__()
            # End the standby (and remove its container) while the interpreter can still do so.
            atexit.register(_WARM[0].__exit__, None, None, None)


def grade_payload(payload: dict) -> dict:
    """Grade one shipped submission; return {"kind": graded|problem|refused|grading_error, ...} as plain data."""
    slug = payload["exercise"]
    try:
        exercise = get_exercise(slug)
        if grader_hash(exercise) != payload["grader_hash"]:
            return {"kind": "refused", "message": f"this worker's grader for {slug} differs from the client's"}
    except BadInput as problem:
        return {"kind": "refused", "message": clean_text(problem)}
    with tempfile.TemporaryDirectory(prefix="grade-cluster-") as scratch:
        try:
            archive = Path(scratch) / "payload.zip"
            archive.write_bytes(payload["submission"])
            extract_archive(
                archive, Path(scratch) / "unpacked", limits=ArchiveLimits(max_total_bytes=MAX_SHIPPED_BYTES)
            )
            root = Path(scratch) / "unpacked" / PAYLOAD_ROOT
            root.mkdir(parents=True, exist_ok=True)  # an empty submission ships no file
            if hashlib.sha256(payload["submission"]).hexdigest() != payload["payload_sha256"]:
                return {"kind": "grading_error", "message": "the submission arrived damaged (its hash differs)"}
            target = root / payload["file_name"] if payload.get("file_name") else root
            from harness.host.grading import grade_submission

            _stay_warm()

            result = grade_submission(
                path=target,
                exercise=slug,
                seed=int(payload["seed"]),
                backend="auto",
                include_hidden=bool(payload["include_hidden"]),
                data_secret=payload["data_secret"],
                prefer=payload.get("prefer"),
            )
        except BadInput as problem:  # nothing gradable: the candidate scores 0, with the reason
            return {"kind": "problem", "message": clean_text(problem)}
        except Exception as error:
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            return {"kind": "grading_error", "message": f"grading failed on the worker: {clean_text(detail)}"}
    import json

    return {
        "kind": "graded",
        "result": json.dumps(result.to_json()),
        "image": result.image or "",
        "backend": result.backend,
    }
