"""Where a grading run happens: a hardened container, or plain local subprocesses.

Backends are registered here by name; ``choose_backend`` is the one place that
decides which one a run uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.host.backends.base import Backend, BackendUnavailable


@dataclass(frozen=True)
class BackendChoice:
    backend: Backend
    reason: str | None = None  # why auto did not pick docker, when it did not


def _local() -> Backend:
    from harness.host.backends.local import LocalBackend

    return LocalBackend()


def _docker() -> Backend:
    try:
        from harness.host.backends.docker import DockerBackend
    except ImportError as error:
        raise BackendUnavailable(f"the docker backend cannot be loaded: {error}") from error
    return DockerBackend()


BACKENDS: dict[str, Callable[[], Backend]] = {"local": _local, "docker": _docker}
BACKEND_CHOICES = ("auto", *BACKENDS)


def choose_backend(name: str) -> BackendChoice:
    """Return the backend called ``name``; ``auto`` means docker where it can run, else local."""
    if name not in BACKEND_CHOICES:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_CHOICES)}")
    if name != "auto":
        return BackendChoice(BACKENDS[name]())
    try:
        from harness.host.backends.docker import docker_available
    except ImportError as error:
        return BackendChoice(_local(), f"docker backend unavailable ({error})")
    available, why = docker_available()
    if not available:
        return BackendChoice(_local(), why)
    try:
        return BackendChoice(_docker())
    except BackendUnavailable as error:
        return BackendChoice(_local(), str(error))
