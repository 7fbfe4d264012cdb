"""The secret that check data comes from: the run's seed plus a salt that only the grader process holds.

Every number a check draws (held-out images, their labels, probe inputs) comes
from ``DataSecret.rng(...)``, a generator keyed by HMAC-SHA256 of the salt, the
exercise and the seed.  The worker is told only :attr:`DataSecret.worker_seed`,
itself an HMAC output, from which neither the salt nor any check data can be
computed.  So a submission that runs the kit's own data generators with every
seed it can see draws different data from the grader's.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np

from harness.wire.spec import fingerprint, parse_salt

WORKER_SEED_BITS = 31


class DataSecret:
    """Derive check data and the worker's seed from (salt, exercise, seed)."""

    def __init__(self, *, salt_hex: str, exercise: str, seed: int):
        self._key = hmac.new(
            parse_salt(salt_hex), f"ml-grader data:{exercise}:{int(seed)}".encode(), hashlib.sha256
        ).digest()
        self.fingerprint = fingerprint(salt_hex)

    def digest(self, *labels: object) -> bytes:
        """32 bytes that depend on the secret and on ``labels`` (strings or numbers), one-way."""
        message = "\x1f".join(str(label) for label in labels).encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def integer(self, *labels: object, bits: int = 63) -> int:
        """A non-negative integer of ``bits`` bits derived from the secret and ``labels``."""
        if not 1 <= bits <= 256:
            raise ValueError("bits must be between 1 and 256")
        return int.from_bytes(self.digest(*labels), "big") >> (256 - bits)

    def rng(self, *labels: object) -> np.random.Generator:
        """A NumPy generator seeded from the secret and ``labels``: the same labels give the same stream."""
        return np.random.default_rng(np.frombuffer(self.digest(*labels), dtype=np.uint32).tolist())

    @property
    def worker_seed(self) -> int:
        """The seed the candidate's code gets (``seed=`` arguments, global seeding before calls)."""
        return self.integer("worker seed", bits=WORKER_SEED_BITS)
