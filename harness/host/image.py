"""Build the grading image from the project's pinned dependencies.

    grade image build          # reuse the image if its tag exists, else build it
    grade image tag            # print the tag the current sources ask for
    grade image prune          # remove grading images of other tags

The tag is a hash of what goes into the image: the dependency pins of
``pyproject.toml``, the files in ``image/`` (not its ``.md`` notes) and the
harness version.  (The
harness code itself is not in the image: the docker backend mounts it.)

Both ways of building install the same wheels with ``image/install.sh`` in a
build container that has no network, then commit that container as the image:

- offline (the default): the base is Debian bookworm made with ``debootstrap``
  (``image/build-base.sh``) and loaded with ``docker import``; the wheels come
  from a folder filled on this host by ``pip wheel``.  Only PyPI and the Debian
  archive are reached, never a container registry.
- registry: the base is the official ``python:3.11-slim`` image, which the
  engine pulls if it does not have it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from harness import __version__
from harness.errors import GradingFailure
from harness.project import HARNESS_PARENT

IMAGE_SOURCE_DIR = HARNESS_PARENT / "image"  # built from the harness's own tree, whatever project it grades
IMAGE_REPOSITORY = "ml-grader"
BASE_REPOSITORY = "ml-grader-base"
REGISTRY_BASE = "python:3.11-slim"
CACHE_ENVIRONMENT_VARIABLE = "GRADE_CACHE_DIR"
MIRROR_ENVIRONMENT_VARIABLE = "GRADE_DEBIAN_MIRROR"
BASE_FILES = ("build-base.sh", "debian-packages.txt")
BUILD_LABEL = "ml-grader.build"
IMAGE_LABEL = "ml-grader.image"
BUILD_TIMEOUT_SECONDS = 1800
WHEEL_PYTHON = (3, 11)
IMAGE_CHANGES = [
    "ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    "ENV PYTHONDONTWRITEBYTECODE=1",
    "WORKDIR /",
    "USER root",
    'CMD ["python3"]',
]

Progress = Callable[[str], None]


class ImageBuildError(GradingFailure, RuntimeError):
    """The grading image could not be built; the message says at which step and why."""


def cache_dir() -> Path:
    """Return the folder that keeps wheels and base tarballs between builds."""
    configured = os.environ.get(CACHE_ENVIRONMENT_VARIABLE)
    return Path(configured) if configured else Path.home() / ".cache" / "ml-grader"


IMAGE_EXTRAS = ("tf", "gensim", "surprise")  # what grading needs in the container; host-only tools stay out


def dependency_pins(*, pyproject: Path | None = None, extras: tuple[str, ...] = IMAGE_EXTRAS) -> list[str]:
    """Read pins from ``pyproject.toml``: the core and those of ``extras`` (the image's: every grading extra)."""
    pyproject = pyproject or HARNESS_PARENT / "pyproject.toml"
    try:
        with pyproject.open("rb") as handle:
            project = tomllib.load(handle).get("project", {})
    except FileNotFoundError:
        raise ImageBuildError(f"{pyproject} is missing: the image is built from the project's source tree") from None
    pins = list(project.get("dependencies", []))
    if not pins:
        raise ValueError(f"{pyproject} lists no [project] dependencies")
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise ValueError(f"{pyproject} has no extra called {extra!r}")
        pins += [pin for pin in optional[extra] if not pin.startswith(project.get("name", "") + "[")]
    return pins


def _digest(parts: list[bytes]) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.hexdigest()[:12]


def _source_files(names: tuple[str, ...] | None = None) -> list[bytes]:
    """Return (name, content) pairs of the recipe files in ``image/`` (documentation left out)."""
    paths = sorted(path for path in IMAGE_SOURCE_DIR.rglob("*") if path.is_file() and path.suffix != ".md")
    if names is not None:
        paths = [path for path in paths if path.name in names]
    return [
        part for path in paths for part in (path.relative_to(IMAGE_SOURCE_DIR).as_posix().encode(), path.read_bytes())
    ]


def image_tag() -> str:
    """Return the tag of the image the current pins, image recipe and harness version ask for."""
    parts = [
        b"pins",
        *(pin.encode() for pin in dependency_pins()),
        b"image",
        *_source_files(),
        b"harness",
        __version__.encode(),
    ]
    return f"{IMAGE_REPOSITORY}:{_digest(parts)}"


def base_tag() -> str:
    """Return the tag of the offline Debian base, which changes only with its own recipe."""
    return f"{BASE_REPOSITORY}:{_digest(_source_files(BASE_FILES))}"


def image_exists(client, *, tag: str | None = None) -> bool:
    """Tell whether the engine behind ``client`` has the image (by default the current tag)."""
    import docker.errors

    try:
        client.images.get(tag or image_tag())
    except docker.errors.ImageNotFound:
        return False
    return True


def build_image(
    *,
    offline: bool | None = None,
    wheel_dir: Path | None = None,
    progress: Progress = print,
    force: bool = False,
    client=None,
) -> str:
    """Build the grading image unless it exists already, and return its tag.

    ``offline=None`` means offline unless the engine already has the registry base
    image.  ``wheel_dir`` is a ready folder of wheels to install from; by default
    ``pip wheel`` fills (or tops up) the folder ``<cache>/wheels``.
    """
    import docker

    tag = image_tag()
    if client is None:
        try:
            client = docker.from_env(timeout=BUILD_TIMEOUT_SECONDS)
            client.ping()
        except docker.errors.DockerException as error:
            raise ImageBuildError(f"no Docker engine answers: {error}") from None
    if not force and image_exists(client, tag=tag):
        progress(f"{tag} is up to date")
        return tag
    if offline is None:
        offline = not image_exists(client, tag=REGISTRY_BASE)
    started = time.monotonic()
    wheels = Path(wheel_dir) if wheel_dir is not None else make_wheels(progress=progress)
    if not any(wheels.glob("*.whl")):
        raise ImageBuildError(f"the wheel folder {wheels} holds no wheels")
    base = offline_base(client, progress=progress) if offline else _registry_base(client, progress=progress)
    replaced = client.images.get(tag).id if image_exists(client, tag=tag) else None
    _install_and_commit(client, base=base, tag=tag, wheels=wheels, progress=progress)
    if replaced is not None:
        _remove_quietly(client, replaced)
    progress(f"built {tag} from {base} in {time.monotonic() - started:.0f} s")
    return tag


def prune_images(*, client=None) -> list[str]:
    """Remove grading images other than the current tag (each is about 2 GB) and return their tags."""
    import docker

    client = client or docker.from_env(timeout=BUILD_TIMEOUT_SECONDS)
    current = image_tag()
    removed = []
    for image in client.images.list(name=IMAGE_REPOSITORY):
        for tag in image.tags:
            if tag.startswith(f"{IMAGE_REPOSITORY}:") and tag != current:
                try:
                    client.images.remove(tag)
                    removed.append(tag)
                except docker.errors.APIError:
                    pass  # still used by a container
    return removed


def make_wheels(*, progress: Progress = print) -> Path:
    """Fill ``<cache>/wheels`` with wheels of every pin and its dependencies, reusing those already there."""
    if sys.version_info[:2] != WHEEL_PYTHON:
        raise ImageBuildError(
            f"the image runs Python {WHEEL_PYTHON[0]}.{WHEEL_PYTHON[1]}; run the build with that Python "
            f"(this is {sys.version_info[0]}.{sys.version_info[1]}) or pass a ready wheel folder"
        )
    folder = cache_dir() / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    progress(f"collecting wheels in {folder}")
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--disable-pip-version-check",
        "--quiet",
        "--wheel-dir",
        str(folder),
        "--find-links",
        str(folder),
        *dependency_pins(),
    ]
    _run_step(command, step="pip wheel")
    return folder


def offline_base(client, *, progress: Progress = print) -> str:
    """Return the Debian base image, importing it from the cached tarball or debootstrapping it first."""
    tag = base_tag()
    if image_exists(client, tag=tag):
        return tag
    tarball = cache_dir() / f"{tag.replace(':', '-')}.tar"
    if not tarball.is_file():
        _debootstrap_tarball(tarball, progress=progress)
    progress(f"importing {tarball.name} as {tag}")
    repository, version = tag.split(":")
    client.api.import_image_from_file(
        str(tarball), repository=repository, tag=version, changes=[f"LABEL {BUILD_LABEL}=base"]
    )
    return tag


def _debootstrap_tarball(tarball: Path, *, progress: Progress) -> None:
    """Debootstrap the base file system into a temporary folder and pack it into ``tarball``."""
    if os.geteuid() != 0:
        raise ImageBuildError("debootstrap needs root: run the offline image build as root (or with sudo)")
    if shutil.which("debootstrap") is None:
        raise ImageBuildError("debootstrap is not installed (Debian/Ubuntu: apt-get install debootstrap)")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    mirror = os.environ.get(MIRROR_ENVIRONMENT_VARIABLE, "http://deb.debian.org/debian")
    with tempfile.TemporaryDirectory(prefix="base-", dir=tarball.parent) as work:
        rootfs = Path(work) / "rootfs"
        progress(f"debootstrapping Debian bookworm from {mirror} (a few minutes)")
        _run_step(["sh", str(IMAGE_SOURCE_DIR / "build-base.sh"), str(rootfs), mirror], step="debootstrap")
        progress(f"packing the base file system into {tarball}")
        partial = tarball.with_suffix(".partial")
        _run_step(["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", str(partial), "."], step="tar")
        partial.replace(tarball)


def _registry_base(client, *, progress: Progress) -> str:
    if not image_exists(client, tag=REGISTRY_BASE):
        progress(f"pulling {REGISTRY_BASE}")
        repository, version = REGISTRY_BASE.split(":")
        client.images.pull(repository, tag=version)
    return REGISTRY_BASE


def _install_and_commit(client, *, base: str, tag: str, wheels: Path, progress: Progress) -> None:
    """Run ``image/install.sh`` on the base in a container without network and commit it as ``tag``."""
    with tempfile.TemporaryDirectory(prefix="grade-image-") as build:
        shutil.copy2(IMAGE_SOURCE_DIR / "install.sh", build)
        Path(build, "requirements.txt").write_text("\n".join(dependency_pins()) + "\n", encoding="utf-8")
        os.chmod(build, 0o755)
        progress(f"installing the wheels into {base}")
        container = client.containers.create(
            base,
            command=["sh", "/build/install.sh"],
            user="root",
            network_mode="none",
            volumes={str(wheels.resolve()): {"bind": "/wheels", "mode": "ro"}, build: {"bind": "/build", "mode": "ro"}},
            labels={BUILD_LABEL: "install"},
        )
        try:
            container.start()
            status = container.wait(timeout=BUILD_TIMEOUT_SECONDS)
            log = container.logs().decode("utf-8", "replace").strip()
            if status.get("StatusCode") != 0:
                raise ImageBuildError(f"image/install.sh failed (exit code {status.get('StatusCode')}):\n{log[-4000:]}")
            if log:
                progress(log.splitlines()[-1])
            repository, version = tag.split(":")
            container.commit(
                repository=repository,
                tag=version,
                changes=[*IMAGE_CHANGES, f"LABEL {IMAGE_LABEL}={tag} {BUILD_LABEL}={base}"],
            )
        finally:
            container.remove(force=True)


def _remove_quietly(client, image_id: str) -> None:
    """Remove an image that a rebuild untagged, unless something still uses it."""
    import docker.errors

    try:
        client.images.remove(image_id)
    except docker.errors.APIError:
        pass


def _run_step(command: list[str], *, step: str) -> None:
    completed = subprocess.run(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if completed.returncode != 0:
        raise ImageBuildError(f"{step} failed (exit code {completed.returncode}):\n{completed.stdout[-4000:]}")
