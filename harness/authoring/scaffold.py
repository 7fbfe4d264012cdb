"""Scaffold a new exercise: solution, grader, mutant and README templates that already pass selftest.

The templates are a small working exercise (standardise the columns of a
matrix), so that ``grade selftest SLUG`` passes straight away; replace each
part with the real exercise, keeping selftest green as you go.
"""

from __future__ import annotations

import re
from pathlib import Path

from harness.authoring.skeleton import generate
from harness.errors import BadInput

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

SOLUTION = '''"""{title}: the reference solution. Mark what candidates write with BEGIN/END SOLUTION."""

import numpy as np


def standardize(x):
    """Return x with each column shifted to mean 0 and scaled to standard deviation 1.

    x: float array of shape (rows, columns). Constant columns are only shifted.
    """
    # BEGIN SOLUTION: subtract each column's mean, divide by its standard deviation
    x = np.asarray(x, dtype=np.float64)
    deviation = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(deviation > 0, deviation, 1.0)
    # END SOLUTION
'''

EXERCISE_TOML = """slug = "{slug}"
title = "{title}"
module = "{slug}.py"
seed_questions = []
time_budget_seconds = 60
call_deadline_seconds = 10
memory_limit_mb = 1024
"""

CONFTEST = '''"""Shared fixtures of the {slug} grader: data drawn from the run's secret, expensive work done once."""

import pytest


@pytest.fixture(scope="session")
def matrix(secret):
    """A fresh matrix with columns of different scales."""
    return secret.rng("matrix").normal(loc=3.0, scale=[1.0, 5.0, 0.1], size=(50, 3))
'''

PUBLIC = '''"""Public checks of {slug}."""

import numpy as np
import pytest

from harness.checks import expect_close, expect_shape


@pytest.mark.points(1)
def test_shape_is_kept(submission, matrix):
    """standardize keeps the shape of its input."""
    expect_shape(submission.standardize(matrix), matrix.shape, what="standardize(x)")


@pytest.mark.points(2)
def test_columns_have_mean_zero(submission, matrix):
    """Every column of the result has mean 0."""
    result = expect_shape(submission.standardize(matrix), matrix.shape, what="standardize(x)")
    expect_close(result.mean(axis=0), np.zeros(matrix.shape[1]), what="the column means", atol=1e-6,
                 hint="the axis you subtract the mean over")


@pytest.mark.points(2)
def test_columns_have_unit_deviation(submission, matrix):
    """Every column of the result has standard deviation 1."""
    result = expect_shape(submission.standardize(matrix), matrix.shape, what="standardize(x)")
    expect_close(result.std(axis=0), np.ones(matrix.shape[1]), what="the column standard deviations",
                 atol=1e-6, hint="the axis you compute the deviation over")
'''

HIDDEN = '''"""Hidden checks of {slug}: instructors only."""

import numpy as np
import pytest

from harness.checks import expect_close, expect_finite


@pytest.mark.points(1)
def test_constant_column_gives_no_nan(submission, rng):
    """A constant column is shifted to 0, not divided by zero."""
    x = np.column_stack([rng.normal(size=20), np.full(20, 7.0)])
    result = expect_finite(submission.standardize(x), what="standardize(x) with a constant column")
    expect_close(result[:, 1], np.zeros(20), what="the constant column")


@pytest.mark.points(1)
def test_matches_reference_on_fresh_data(submission, rng, measure):
    """standardize matches the reference on a fresh matrix."""
    x = rng.normal(size=(30, 4)) * rng.uniform(0.5, 9.0, size=4)
    reference = (x - x.mean(axis=0)) / x.std(axis=0)
    result = expect_close(submission.standardize(x), reference, what="standardize(x)")
    measure("max abs error", float(np.abs(result - reference).max()))
'''

MUTANT = """description = "Statistics over rows instead of columns"
fails = ["test_public.py::test_columns_have_mean_zero", "test_public.py::test_columns_have_unit_deviation",
         "test_hidden.py::test_constant_column_gives_no_nan", "test_hidden.py::test_matches_reference_on_fresh_data"]

[[replace]]
old = "deviation = x.std(axis=0)"
new = "deviation = x.std(axis=1, keepdims=True)"

[[replace]]
old = "(x - x.mean(axis=0))"
new = "(x - x.mean(axis=1, keepdims=True))"
"""

VARIANTS = {  # correct solutions written differently: each must score full marks on every seed
    "mean_by_sum": (
        "The column means computed as sums divided by the row count",
        "(x - x.mean(axis=0))",
        "(x - x.sum(axis=0) / len(x))",
    ),
    "deviation_from_variance": (
        "The standard deviation as the square root of the variance",
        "deviation = x.std(axis=0)",
        "deviation = np.sqrt(x.var(axis=0))",
    ),
    "safe_division_by_masking": (
        "Constant columns handled by a mask instead of np.where",
        "np.where(deviation > 0, deviation, 1.0)",
        "(deviation + (deviation == 0))",
    ),
}
VARIANT = """description = "{description}"

[[replace]]
old = "{old}"
new = "{new}"
"""

README = """# {title}

Seed questions: (list the numbers from shared/EXERCISES.md)

## 原题 (original question, verbatim)

(paste the Chinese text here)

## Statement

(what the candidate builds, in English)

## API contract

`standardize(x)`: see the docstring in `{slug}.py`.

## How it is graded

Every matrix is drawn at grading time from a secret of the run; budgets are CPU seconds of your code.

| check | points | visible | what it checks |
|---|---|---|---|
| `test_shape_is_kept` | 1 | public | standardize keeps the shape of its input |
| `test_columns_have_mean_zero` | 2 | public | every column of the result has mean 0 |
| `test_columns_have_unit_deviation` | 2 | public | every column of the result has standard deviation 1 |
| (hidden) | 1 | hidden | a constant column |
| (hidden) | 1 | hidden | a fresh matrix |

Total: 7 points (5 public, 2 hidden).
"""

NEXT_STEPS = """Created exercise {{slug}}. It already passes `grade selftest {{slug}}`; now make it real:
  1. solutions/{{slug}}/{{slug}}.py     write the reference; mark candidate regions with
                                        # BEGIN SOLUTION / # END SOLUTION
  2. grade skeleton {{slug}}            regenerate exercises/{{slug}}/{{slug}}.py and .ipynb from it
  3. graders/{{slug}}/test_public.py  public checks, each with @pytest.mark.points(n) and a one-line docstring;
     graders/{{slug}}/test_hidden.py  hidden checks (at least 2); conftest.py for data (from `secret`) and training
  4. graders/{{slug}}/mutants/*.toml  at least 5 realistic mistakes, each naming the checks it fails on every seed
     graders/{{slug}}/variants/*.toml at least 3 correct solutions written differently
  5. exercises/{{slug}}/README.md     original question, statement, API contract, the table of checks and points
  6. grade calibrate {{slug}} --seeds 20 --write, then set thresholds with a margin (@pytest.mark.statistical)
  7. grade selftest {{slug}} --seeds 20 --mutant-seeds 3 must pass, argument mutants included
See graders/AUTHORING.md."""


class ScaffoldError(BadInput, ValueError):
    """The exercise cannot be created: bad name, or it exists already."""


def create_exercise(*, slug: str, project_root: Path, title: str | None = None) -> list[Path]:
    """Write the template files of a new exercise ``slug`` under ``project_root``; return them."""
    if not SLUG_PATTERN.match(slug):
        raise ScaffoldError(f"{slug!r} is not a valid exercise name: use lower-case letters, digits and _")
    title = title or slug.replace("_", " ").capitalize()
    files = {
        project_root / "solutions" / slug / f"{slug}.py": SOLUTION,
        project_root / "graders" / slug / "exercise.toml": EXERCISE_TOML,
        project_root / "graders" / slug / "conftest.py": CONFTEST,
        project_root / "graders" / slug / "test_public.py": PUBLIC,
        project_root / "graders" / slug / "test_hidden.py": HIDDEN,
        project_root / "graders" / slug / "mutants" / "statistics_over_rows.toml": MUTANT,
        project_root / "exercises" / slug / "README.md": README,
        **{
            project_root / "graders" / slug / "variants" / f"{name}.toml": VARIANT.replace("{description}", description)
            .replace("{old}", old)
            .replace("{new}", new)
            for name, (description, old, new) in VARIANTS.items()
        },
    }
    existing = [path for path in files if path.parent.exists() and path.parent.name == slug]
    if existing:
        raise ScaffoldError(f"exercise {slug} exists already ({existing[0].parent})")
    for path, template in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(slug=slug, title=title), encoding="utf-8")
    return sorted(files) + generate(project_root, [slug])


def next_steps(slug: str) -> str:
    return NEXT_STEPS.replace("{{slug}}", slug)
