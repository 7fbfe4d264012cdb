"""Drain what the candidate's code prints, keeping only the head and tail of each segment."""

from __future__ import annotations

import os
import select
import threading


class OutputCollector(threading.Thread):
    """Drain the worker's stdout/stderr, keeping the head and tail of each segment."""

    def __init__(self, file_descriptor: int, keep_bytes: int, *, drain: bool = True):
        super().__init__(daemon=True, name="worker-output")
        self.drain = drain  # select on a pipe: not on Windows, where output arriving just before a reply may lag
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
            if self.drain:
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
