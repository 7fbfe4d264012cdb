"""Check data and the worker's seed come from (salt, exercise, seed), one-way."""

import numpy as np
import pytest

from harness.grader.secrets import DataSecret
from harness.wire.spec import fingerprint, new_salt, parse_salt


def test_same_secret_same_data_and_labels_separate_streams():
    salt = new_salt()
    first, again = DataSecret(salt_hex=salt, exercise="cnn", seed=0), DataSecret(salt_hex=salt, exercise="cnn", seed=0)
    assert np.array_equal(first.rng("images").normal(size=5), again.rng("images").normal(size=5))
    assert not np.array_equal(first.rng("images").normal(size=5), first.rng("labels").normal(size=5))
    assert first.integer("a") != first.integer("b")


def test_salt_seed_and_exercise_each_change_everything():
    salt = new_salt()
    base = DataSecret(salt_hex=salt, exercise="cnn", seed=0)
    for other in (
        DataSecret(salt_hex=new_salt(), exercise="cnn", seed=0),
        DataSecret(salt_hex=salt, exercise="cnn", seed=1),
        DataSecret(salt_hex=salt, exercise="gan", seed=0),
    ):
        assert other.integer("data") != base.integer("data") and other.worker_seed != base.worker_seed


def test_the_worker_seed_is_not_any_data_seed():
    secret = DataSecret(salt_hex=new_salt(), exercise="cnn", seed=0)
    assert 0 <= secret.worker_seed < 2**31
    assert secret.worker_seed not in {secret.integer(label) for label in ("data seed", "images", "task")}


def test_salts_are_validated_and_fingerprinted_one_way():
    salt = new_salt()
    assert len(parse_salt(salt)) == 16 and salt not in fingerprint(salt) and len(fingerprint(salt)) == 16
    for bad in ("not hex", "abcd"):
        with pytest.raises(ValueError):
            parse_salt(bad)
