"""Replay recorded worker requests in this one process: the candidate's calls without the engine.

    python benchmarks/replay_calls.py MODULE_FILE RECORDING

The recording holds the frames the grader sent (see GRADE_RECORD_CALLS in
harness/runner.py).  Each is handled by the worker's own code, with no grader
process, no pytest and no pipes: the baseline the engine's overhead is measured
against.
"""

import io
import sys

from harness.wire.protocol import ConnectionClosed, read_message
from harness.worker.server import Worker, seed_everything


def main(module_file: str, recording: str) -> None:
    with open(recording, "rb") as stream:
        frames = []
        while True:
            try:
                frames.append(read_message(stream))
            except ConnectionClosed:
                break
    seed_everything(0)
    worker = Worker(module_file, io.BytesIO(), io.BytesIO(), cap_bytes=1 << 30)
    worker.import_submission()
    for header, arrays in frames:
        if header.get("op") != "hello":
            worker.handle(header, arrays)
    print(f"replayed {len(frames)} requests")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
