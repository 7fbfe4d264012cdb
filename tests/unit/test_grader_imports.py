"""The grader process imports Keras on a thread at start exactly when its own modules will need it."""

from pathlib import Path

import pytest

from harness.grader import keras_models
from harness.grader.runner import grader_uses_keras, start_grader_imports


@pytest.mark.parametrize(
    ("source", "uses"),
    [
        ("import numpy as np\n", False),
        ("# keras is not imported here; tensorflow neither\nx = 'import keras'\n", False),
        ("import keras\n", True),
        ("def rebuild():\n    import tensorflow as tf\n    return tf\n", True),
        ("from keras import layers\n", True),
        ("from harness.checks import verify_keras_model\n", True),
    ],
)
def test_scans_the_graders_own_modules(tmp_path: Path, source: str, uses: bool) -> None:
    (tmp_path / "test_public.py").write_text("def test_one():\n    pass\n")
    (tmp_path / "helpers.py").write_text(source)
    assert grader_uses_keras(tmp_path) is uses


def test_mutants_and_variants_do_not_count(tmp_path: Path) -> None:
    (tmp_path / "mutants").mkdir()
    (tmp_path / "mutants" / "wrong.py").write_text("import keras\n")
    (tmp_path / "test_public.py").write_text("import numpy\n")
    assert not grader_uses_keras(tmp_path)


@pytest.mark.parametrize(("source", "calls"), [("import keras\n", 1), ("import numpy\n", 0)])
def test_starts_the_import_only_for_graders_that_use_keras(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, calls: int
) -> None:
    started = []
    monkeypatch.setattr(keras_models, "import_keras_in_background", lambda: started.append(True))
    (tmp_path / "conftest.py").write_text(source)
    start_grader_imports(tmp_path)
    assert len(started) == calls
