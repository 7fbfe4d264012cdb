"""The versions a result records: Python, the harness, and the libraries that grading depends on."""

from __future__ import annotations

import importlib.metadata
import platform

from harness import __version__

VERSIONED_PACKAGES = ("numpy", "tensorflow-cpu", "keras", "gensim", "scikit-surprise", "pytest")


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version(), "harness": __version__}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions
