"""The candidate kit holds no solution text, no hidden check and no mutant, and still works."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.authoring.bundle import BundleError, build_kit
from harness.authoring.mutants import exercise_mutants
from harness.authoring.skeleton import solution_regions
from harness.project import all_exercises

ROOT = Path(__file__).resolve().parent.parent
MIN_LINE_LENGTH = 16  # shorter lines ("return model") are too generic to prove a leak
STATEMENT = re.compile(r"\w\(|[^=!<>]=[^=]")  # a call or an assignment: not a bare continuation of arguments
MIN_SHARED_LINE_LENGTH = 40  # in shared files (the harness), a one-call line such as seeding Keras is no leak


def secret_lines() -> dict[str, set[str]]:
    """Per exercise, every substantial line of its solution regions not also shown outside them."""
    secrets = {}
    for solution in (ROOT / "solutions").glob("*/*.py"):
        source = solution.read_text()
        all_lines = source.splitlines()
        inside: set[str] = set()
        covered: set[int] = set()
        for first, last, _, _ in solution_regions(source):
            covered.update(range(first, last + 1))
            inside.update(line.strip() for line in all_lines[first + 1 : last])
        outside = [line.strip() for number, line in enumerate(all_lines) if number not in covered]
        secrets[solution.parent.name] = {
            text
            for text in inside
            if len(text) >= MIN_LINE_LENGTH
            and not text.startswith("#")
            and STATEMENT.search(text)
            and not any(text in line for line in outside)
        }
    return secrets


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    out = tmp_path_factory.mktemp("kit") / "kit"
    build_kit(out=out)
    return out


def kit_texts(kit: Path):
    for path in kit.rglob("*"):
        if path.is_file():
            yield path, path.read_text(errors="replace")


def test_kit_has_no_solutions_hidden_checks_or_mutants(kit):
    names = {path.name for path in kit.rglob("*")}
    assert not (kit / "solutions").exists()
    assert "test_hidden.py" not in names and "mutants" not in names and "CALIBRATION.md" not in names
    assert (kit / "exercises").is_dir() and (kit / "harness" / "host" / "cli.py").is_file()


def test_no_solution_region_text_appears_anywhere_in_the_kit(kit):
    secrets = secret_lines()
    assert all(secrets.values()), "every solution should have marked regions"
    everything = set().union(*secrets.values())
    for path, text in kit_texts(kit):
        parts = path.relative_to(kit).parts
        # An exercise's own files must not hold its secrets; shared files (the harness) no one's.
        if parts[0] in ("exercises", "graders"):
            own = secrets.get(parts[1], set())
        else:
            own = {line for line in everything if len(line) >= MIN_SHARED_LINE_LENGTH}
        leaked = [line for line in own if line in text]
        assert not leaked, f"{path.relative_to(kit)} contains solution lines: {leaked[:3]}"


def test_no_hidden_check_or_mutant_appears_anywhere_in_the_kit(kit):
    hidden = [spec.check_id.split("::")[1] for exercise in all_exercises() for spec in exercise.checks if spec.hidden]
    descriptions = [mutant.description for exercise in all_exercises() for mutant in exercise_mutants(exercise)]
    for path, text in kit_texts(kit):
        for secret in hidden + descriptions:
            assert secret not in text, f"{path.relative_to(kit)} mentions {secret!r}"


def test_private_grader_helpers_are_replaced_in_the_kit(kit):
    kit_reference = (kit / "graders" / "conv_layer" / "conv_reference.py").read_text()
    assert "tf.nn.conv2d" in kit_reference and "einsum" not in kit_reference
    assert not (kit / "graders" / "conv_layer" / "kit").exists()


def test_kit_lists_its_exercises_with_public_points_only(kit):
    listing = subprocess.run(
        [
            sys.executable,
            "-c",
            "from harness.project import all_exercises\n"
            "for e in all_exercises(): print(e.slug, e.max_score(include_hidden=True), e.has_hidden_checks)",
        ],
        cwd=kit,
        env=dict(os.environ, PYTHONPATH=str(kit)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    for exercise in all_exercises():
        assert f"{exercise.slug} {exercise.max_score(include_hidden=False)} False" in listing


def test_kit_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "something").write_text("")
    with pytest.raises(BundleError):
        build_kit(out=tmp_path)


def _in_kit(kit: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run grade from the kit folder, with the kit's own harness (the instructor install is not on the path)."""
    return subprocess.run(
        [sys.executable, "-m", "harness.host.cli", *arguments],
        cwd=kit,
        env=dict(os.environ, PYTHONPATH=str(kit), PYTHONSAFEPATH="", COLUMNS="120"),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_kit_has_the_candidates_commands_only(kit):
    assert not (kit / "harness" / "authoring").exists()
    shown = _in_kit(kit, "--help").stdout
    assert "run" in shown and "list" in shown
    for command in ("selftest", "calibrate", "bundle", "batch", "new", "skeleton"):
        assert f" {command} " not in shown, command
    refused = _in_kit(kit, "selftest", "cnn")
    assert refused.returncode == 2 and "instructor command" in refused.stderr


def test_the_kit_knows_what_its_hidden_checks_are_worth(kit):
    listing = _in_kit(kit, "list").stdout
    for exercise in all_exercises():
        public, hidden = exercise.public_points, exercise.hidden_points
        assert f"{public:g} + {hidden:g}" in listing, (exercise.slug, listing)
    assert (kit / "exercises" / "manifest.json").is_file()
