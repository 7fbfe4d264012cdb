"""A cohort of probe submissions for the batch tests: full, partial, skeleton, broken, hostile."""

from __future__ import annotations

import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from harness.authoring.notebooks import make_notebook

TESTS = Path(__file__).resolve().parent.parent
SCENARIOS = TESTS / "scenarios"
FIXTURE_GRADERS = TESTS / "fixtures" / "graders"
FULL = (SCENARIOS / "scores_full_marks" / "probe.py").read_text()

PARTIALS = {  # name: (source, expected score out of 6)
    "partial_add_subtracts": (FULL.replace("return a + b", "return a - b"), 3.0),  # add and add_large fail
    "partial_scale_ignores_factor": (FULL.replace("return x * factor", "return x"), 5.0),
    "partial_count_returns_float": (
        FULL.replace("return int(np.count_nonzero(x))", "return float(np.count_nonzero(x))"),
        5.0,
    ),
}
SCENARIO_CANDIDATES = {  # candidate: (scenario folder, expected score)
    "skeleton_1": ("not_implemented_scores_0", 0.0),
    "skeleton_2": ("not_implemented_scores_0", 0.0),
    "skeleton_3": ("not_implemented_scores_0", 0.0),
    "partial_missing_function": ("missing_function_fails_count", 5.0),
    "infinite_loop": ("infinite_loop_times_out_scale", 5.0),
    "memory_hog": ("memory_hog_out_of_memory", 5.0),
    "syntax_error": ("syntax_error_scores_0", 0.0),
    "attack_patches_grader": ("patching_the_grader_gains_nothing", 0.0),
    "attack_os_exit": ("os_exit_in_call_crashes_scale", 5.0),
}
BROKEN_ZIPS = {  # candidate: a fragment of the message recorded for it
    "zip_slip": "zip-slip",
    "zip_absolute": "absolute path",
    "zip_symlink": "symbolic link",
    "zip_corrupt": "not a readable zip file",
    "zip_bomb": "compression bomb",
    "zip_too_many": "members, more than",
    "zip_encrypted": "password-protected",
}


@dataclass(frozen=True)
class Cohort:
    """A folder of submissions, what each candidate should score, and the gradebook of one batch over it."""

    submissions: Path
    expected: dict[str, float]
    messages: dict[str, str]
    gradebook: Path | None = None
    output: str = ""


def write_zip(path: Path, members: dict[str, bytes | str], *, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _broken_zip(path: Path, kind: str) -> None:
    if kind == "zip_slip":
        write_zip(path, {"probe/probe.py": FULL, "../../evil.py": "print('escaped')"})
    elif kind == "zip_absolute":
        write_zip(path, {"/tmp/evil_probe.py": FULL})
    elif kind == "zip_symlink":
        with zipfile.ZipFile(path, "w") as archive:
            link = zipfile.ZipInfo("probe/probe.py")
            link.create_system = 3
            link.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(link, "/etc/passwd")
    elif kind == "zip_corrupt":
        whole = write_zip(path, {"probe/probe.py": FULL * 20}).read_bytes()
        path.write_bytes(whole[: len(whole) // 2])
    elif kind == "zip_bomb":
        write_zip(path, {"probe/probe.py": FULL, "probe/data.bin": b"\0" * (3 * 1024 * 1024)})
    elif kind == "zip_too_many":
        write_zip(
            path,
            {"probe/probe.py": FULL, **{f"probe/notes/{n}.txt": "x" for n in range(600)}},
            compression=zipfile.ZIP_STORED,
        )
    elif kind == "zip_encrypted":
        data = bytearray(write_zip(path, {"probe/probe.py": FULL}).read_bytes())
        data[data.index(b"PK\x01\x02") + 8] |= 0x1  # the central directory's "encrypted" flag
        path.write_bytes(bytes(data))
    else:
        raise ValueError(kind)


def make_cohort(root: Path) -> Cohort:
    """Write 30 candidates into ``root`` (and a file that is not one); return what each should score."""
    root.mkdir(parents=True)
    expected: dict[str, float] = {}
    messages: dict[str, str] = {}
    for number in range(1, 5):  # full solutions in exercise folders
        (root / f"full_folder_{number}" / "probe").mkdir(parents=True)
        (root / f"full_folder_{number}" / "probe" / "probe.py").write_text(FULL)
        expected[f"full_folder_{number}"] = 6.0
    for number in range(1, 3):  # loose modules
        (root / f"full_loose_{number}").mkdir()
        (root / f"full_loose_{number}" / "probe.py").write_text(FULL)
        expected[f"full_loose_{number}"] = 6.0
    write_zip(root / "full_zip.zip", {"probe/probe.py": FULL})
    write_zip(
        root / "full_zip_wrapped.zip",
        {"full_zip_wrapped/probe/probe.py": FULL, "__MACOSX/full_zip_wrapped/._probe.py": b"junk"},
    )
    expected.update(full_zip=6.0, full_zip_wrapped=6.0)
    notebook = make_notebook(FULL, title="Engine probe", module="probe.py")
    (root / "full_notebook").mkdir()
    nbformat.write(notebook, root / "full_notebook" / "probe.ipynb")
    expected["full_notebook"] = 6.0
    for name, (source, score) in PARTIALS.items():
        (root / name).mkdir()
        (root / name / "probe.py").write_text(source)
        expected[name] = score
    for name, (scenario, score) in SCENARIO_CANDIDATES.items():
        shutil.copytree(SCENARIOS / scenario, root / name / "probe", ignore=shutil.ignore_patterns("expected.json"))
        expected[name] = score
    for name, fragment in BROKEN_ZIPS.items():
        _broken_zip(root / f"{name}.zip", name)
        expected[name], messages[name] = 0.0, fragment
    (root / "no_probe").mkdir()
    (root / "no_probe" / "README.md").write_text("I did not do it.\n")
    expected["no_probe"], messages["no_probe"] = 0.0, "no submission for probe"
    (root / "linked_exercise").mkdir()
    (root / "linked_exercise" / "probe").symlink_to("/etc", target_is_directory=True)
    expected["linked_exercise"], messages["linked_exercise"] = 0.0, "symbolic link"
    (root / "notes.txt").write_text("not a candidate\n")
    return Cohort(root, expected, messages)
