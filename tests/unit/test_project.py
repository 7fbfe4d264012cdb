"""The project reads each exercise once and owns the file policy that the kit and the docker staging share."""

from pathlib import Path

import pytest

from harness.project import FileRole, Project, read_checks


def _grader(root: Path) -> Path:
    grader = root / "graders" / "demo"
    (grader / "mutants").mkdir(parents=True)
    (grader / "kit").mkdir()
    (grader / "data").mkdir()
    (grader / "exercise.toml").write_text(
        'slug = "demo"\ntitle = "Demo"\nmodule = "demo.py"\n'
        'private_files = ["reference.py"]\npreload = ["numpy"]\n'
        '[unobservable_arguments]\n"f.verbose" = "prints only"\n'
    )
    (grader / "test_public.py").write_text(
        'import pytest\n\n@pytest.mark.points(2)\ndef test_one(submission):\n    """One."""\n\n'
        "@pytest.mark.statistical\n@pytest.mark.points(1)\ndef test_two(submission):\n    pass\n"
    )
    (grader / "test_hidden.py").write_text(
        "import pytest\n\n@pytest.mark.points(3)\ndef test_three(submission):\n    pass\n"
    )
    for name in (
        "reference.py",
        "kit/reference.py",
        "mutants/wrong.toml",
        "CALIBRATION.md",
        "data/cases.json",
        "helpers.py",
        "solution_notes.py",
    ):
        (grader / name).write_text("x")
    (root / "graders" / "_shared").mkdir()
    (root / "graders" / "_shared" / "corridor.py").write_text("x")
    return grader


def test_exercise_toml_is_read_once_with_every_setting(tmp_path):
    _grader(tmp_path)
    exercise = Project(root=tmp_path, graders_dir=tmp_path / "graders").exercise("demo")
    assert exercise.preload == ("numpy",) and exercise.unobservable_arguments == {"f.verbose": "prints only"}
    assert [(check.function, check.points, check.hidden, check.statistical) for check in exercise.checks] == [
        ("test_one", 2.0, False, False),
        ("test_two", 1.0, False, True),
        ("test_three", 3.0, True, False),
    ]
    assert exercise.checks[0].name == "One." and exercise.checks[1].name == "Two"
    assert exercise.solution_dir == tmp_path / "solutions" / "demo"


def test_one_file_policy_for_runs_and_the_kit(tmp_path):
    _grader(tmp_path)
    exercise = Project(root=tmp_path, graders_dir=tmp_path / "graders").exercise("demo")
    roles = {
        name: exercise.file_role(name)
        for name in (
            "test_hidden.py",
            "reference.py",
            "mutants/wrong.toml",
            "CALIBRATION.md",
            "kit/reference.py",
            "helpers.py",
            "solution_notes.py",
            "variants/x.toml",
        )
    }
    assert roles == {
        "test_hidden.py": FileRole.HIDDEN,
        "reference.py": FileRole.PRIVATE,
        "mutants/wrong.toml": FileRole.AUTHORING,
        "CALIBRATION.md": FileRole.AUTHORING,
        "kit/reference.py": FileRole.AUTHORING,
        "helpers.py": FileRole.PUBLIC,
        "solution_notes.py": FileRole.AUTHORING,
        "variants/x.toml": FileRole.AUTHORING,
    }

    def names(**options):
        return {
            (source.relative_to(tmp_path / "graders").as_posix(), relative.as_posix())
            for source, relative in exercise.grader_files(**options)
        }

    run = names(include_hidden=False)
    assert ("demo/reference.py", "reference.py") in run and ("_shared/corridor.py", "_shared/corridor.py") in run
    assert not any("test_hidden" in relative or "mutants" in relative for _, relative in run)
    assert ("demo/test_hidden.py", "test_hidden.py") in names(include_hidden=True)
    kit = names(include_hidden=False, for_kit=True)
    assert ("demo/kit/reference.py", "reference.py") in kit and ("demo/reference.py", "reference.py") not in kit


def test_a_check_without_points_is_refused(tmp_path):
    path = tmp_path / "test_public.py"
    path.write_text("def test_unscored(submission):\n    pass\n")
    with pytest.raises(ValueError, match=r"no @pytest\.mark\.points"):
        read_checks(path, hidden=False)
