"""Print how long the candidate kit takes to install, and how big it gets: core vs all, pip vs uv.

    python benchmarks/kit_install.py [--extras "" all] [--tools pip uv] [--python python3]

Each combination builds a fresh kit and a fresh venv, installs the kit (`pip install -e kit` or
`uv pip install -e kit`, with the extras asked for), and reports the wall time and the venv's size.
Package caches are warm after the first run, as they are on a candidate's second install; run
with a cold cache (`pip cache purge`, `uv cache clean`) for first-install figures.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.authoring.bundle import build_kit  # noqa: E402


def size_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink()) / 2**20


def install(tool: str, python: str, kit: Path, venv: Path, extras: str) -> float:
    target = f"{kit}[{extras}]" if extras else str(kit)
    started = time.perf_counter()
    if tool == "uv":
        uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
        subprocess.run([uv, "venv", "--python", python, str(venv)], check=True, capture_output=True)
        subprocess.run(
            [uv, "pip", "install", "--python", str(venv / "bin" / "python"), "-e", target],
            check=True,
            capture_output=True,
        )
    else:
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-e", target], check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extras", nargs="+", default=["", "all"], help='"" for the core only')
    parser.add_argument("--tools", nargs="+", default=["pip", "uv"], choices=("pip", "uv"))
    parser.add_argument("--python", default=sys.executable)
    options = parser.parse_args()
    print(f"{'tool':<5} {'extras':<8} {'seconds':>8} {'venv MB':>8}")
    for tool in options.tools:
        if tool == "uv" and not (shutil.which("uv") or Path(sys.executable).with_name("uv").exists()):
            print("uv    (not installed: pip install uv)")
            continue
        for extras in options.extras:
            with tempfile.TemporaryDirectory(prefix="kit-install-") as scratch:
                kit, venv = Path(scratch) / "kit", Path(scratch) / "venv"
                build_kit(out=kit)
                seconds = install(tool, options.python, kit, venv, extras)
                print(f"{tool:<5} {extras or 'core':<8} {seconds:>8.1f} {size_mb(venv):>8.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
