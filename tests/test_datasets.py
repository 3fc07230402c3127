"""flip_labels: the share it flips, and the classes it infers."""

import numpy as np
import pytest

from sksmooth.datasets import flip_labels


def test_n_classes_is_inferred_from_the_labels():
    y = np.arange(200) % 4
    inferred = flip_labels(y, 0.25, random_state=3)
    np.testing.assert_array_equal(inferred, flip_labels(y, 0.25, 4, random_state=3))
    assert np.sum(inferred != y) == 50
    assert set(inferred) == {0, 1, 2, 3}


def test_any_labels_flip_to_another_present_label():
    labels = np.array(["ant", "bee", "cat"])
    y = labels[np.arange(90) % 3]
    noisy = flip_labels(y, 0.4, random_state=0)
    assert noisy.dtype == y.dtype and set(noisy) <= set(labels)
    assert np.sum(noisy != y) == 36


def test_one_class_cannot_be_flipped():
    with pytest.raises(ValueError, match="at least 2 classes"):
        flip_labels(np.zeros(10, dtype=int), 0.1)


def test_pair_noise_moves_the_same_rows_to_the_next_class():
    y = np.arange(300) % 4
    symmetric = flip_labels(y, 0.3, 4, random_state=5)
    pair = flip_labels(y, 0.3, 4, random_state=5, kind="pair")
    moved = pair != y
    np.testing.assert_array_equal(moved, symmetric != y)
    assert moved.sum() == 90
    np.testing.assert_array_equal(pair[moved], (y[moved] + 1) % 4)
    with pytest.raises(ValueError, match="kind must be"):
        flip_labels(y, 0.3, 4, kind="swap")
