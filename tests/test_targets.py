import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from sksmooth import smooth_labels
from sksmooth.targets import check_soft_targets, max_epsilon


def test_uniform_hand_computed_three_classes():
    # eps = 0.3, K = 3: true class 0.7 + 0.1 = 0.8, others 0.3 / 3 = 0.1
    expected = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
    assert_allclose(smooth_labels([0, 1, 2], epsilon=0.3), expected, rtol=0, atol=1e-15)


def test_off_target_hand_computed_three_classes():
    # eps = 0.3, K = 3: true class 0.7, others 0.3 / 2 = 0.15
    expected = np.array([[0.15, 0.15, 0.7], [0.7, 0.15, 0.15]])
    assert_allclose(
        smooth_labels([2, 0], epsilon=0.3, method="off_target"),
        expected,
        rtol=0,
        atol=1e-15,
    )


def test_two_classes_hand_computed():
    # uniform: 0.9 + 0.05 = 0.95 / 0.05; off_target: 0.9 / 0.1
    assert_allclose(smooth_labels([1, 0], epsilon=0.1), [[0.05, 0.95], [0.95, 0.05]])
    assert_allclose(
        smooth_labels([1, 0], epsilon=0.1, method="off_target"),
        [[0.1, 0.9], [0.9, 0.1]],
    )


@pytest.mark.parametrize("method", ["uniform", "off_target"])
def test_zero_epsilon_is_exact_one_hot(method):
    y = np.array([0, 3, 1, 3, 2])
    Y = smooth_labels(y, epsilon=0, method=method)
    assert_array_equal(Y, np.eye(4)[y])


def test_n_classes_adds_unseen_columns():
    Y = smooth_labels([0, 1], epsilon=0.4, n_classes=4)
    assert Y.shape == (2, 4)
    assert_allclose(Y[0], [0.7, 0.1, 0.1, 0.1])


@given(
    codes=st.lists(st.integers(0, 6), min_size=1, max_size=30),
    extra=st.integers(0, 3),
    fraction=st.floats(0, 0.999),
    method=st.sampled_from(["uniform", "off_target"]),
)
def test_rows_are_distributions_with_true_class_strictly_largest(
    codes, extra, fraction, method
):
    n_classes = max(max(codes) + 1, 2) + extra
    epsilon = fraction * max_epsilon(n_classes, method)
    Y = smooth_labels(codes, epsilon=epsilon, method=method, n_classes=n_classes)
    assert Y.shape == (len(codes), n_classes)
    assert np.all(Y >= 0)
    assert_allclose(Y.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    true = Y[np.arange(len(codes)), codes]
    others = np.where(np.eye(n_classes, dtype=bool)[codes], -np.inf, Y).max(axis=1)
    assert np.all(true > others)


@pytest.mark.parametrize(
    "epsilon, method, n_classes, fragment",
    [
        (-0.1, "uniform", 3, "0 <= epsilon < 1"),
        (1.0, "uniform", 3, "0 <= epsilon < 1"),
        (0.7, "off_target", 3, "0 <= epsilon < 0.666667"),
        (0.5, "off_target", 2, "0 <= epsilon < 0.5"),
        (float("nan"), "uniform", 3, "epsilon"),
    ],
)
def test_epsilon_out_of_range_states_bound(epsilon, method, n_classes, fragment):
    with pytest.raises(ValueError, match=fragment):
        smooth_labels([0, 1], epsilon=epsilon, method=method, n_classes=n_classes)


def test_epsilon_wrong_type():
    with pytest.raises(TypeError, match="epsilon must be a real number"):
        smooth_labels([0, 1], epsilon="0.1")
    with pytest.raises(TypeError, match="epsilon must be a real number"):
        smooth_labels([0, 1], epsilon=True)


def test_unknown_method():
    with pytest.raises(ValueError, match="method must be one of"):
        smooth_labels([0, 1], method="gaussian")


@pytest.mark.parametrize(
    "y, n_classes, error, fragment",
    [
        (["a", "b"], None, ValueError, "integer class codes"),
        ([0.5, 1.0], None, ValueError, "integer class codes"),
        ([[0, 1]], None, ValueError, "1-D array"),
        ([], None, ValueError, "empty"),
        ([-1, 0], None, ValueError, ">= 0"),
        ([0, 0], None, ValueError, "at least 2 classes"),
        ([0, 3], 3, ValueError, "0..n_classes-1"),
        ([0, 1], 1, ValueError, "n_classes must be at least 2"),
        ([0, 1], 2.0, TypeError, "n_classes must be an int"),
    ],
)
def test_bad_codes(y, n_classes, error, fragment):
    with pytest.raises(error, match=fragment):
        smooth_labels(y, n_classes=n_classes)


def test_float_codes_that_are_integers_are_accepted():
    assert_array_equal(smooth_labels([0.0, 1.0], epsilon=0), np.eye(2))


@pytest.mark.parametrize(
    "Y, fragment",
    [
        (np.array([[1.0], [1.0]]), "at least 2 columns"),
        (np.array([[1.2, -0.2], [0.5, 0.5]]), r"non-negative; row 0 holds -0\.2\."),
        (np.array([[0.5, 0.5], [0.6, 0.6]]), r"sum to one; row 1 sums to 1\.2\."),
    ],
)
def test_check_soft_targets_rejects(Y, fragment):
    with pytest.raises(ValueError, match=fragment):
        check_soft_targets(Y)


def test_check_soft_targets_tolerance_follows_dtype():
    Y = np.array([[0.5, 0.5 + 1e-6]])
    with pytest.raises(ValueError, match="sum to one"):
        check_soft_targets(Y)
    check_soft_targets(Y.astype(np.float32))


def test_prior_hand_computed_two_classes():
    # pi = [0.75, 0.25]; eps = 0.2:
    # class 0 -> [0.8 + 0.2 * 0.75, 0.2 * 0.25] = [0.95, 0.05]
    # class 1 -> [0.2 * 0.75, 0.8 + 0.2 * 0.25] = [0.15, 0.85]
    Y = smooth_labels([0, 0, 0, 1], epsilon=0.2, method="prior")
    assert_allclose(Y, [[0.95, 0.05]] * 3 + [[0.15, 0.85]], atol=1e-15)


def test_prior_hand_computed_three_classes_weighted():
    # weights [2, 1, 1] -> pi = [0.5, 0.25, 0.25]; eps = 0.4, 1 - eps = 0.6
    Y = smooth_labels([0, 1, 2], epsilon=0.4, method="prior", sample_weight=[2, 1, 1])
    expected = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.2, 0.1, 0.7]]
    assert_allclose(Y, expected, atol=1e-15)
    # unweighted, pi = [1/3, 1/3, 1/3]: the same as uniform
    assert_allclose(
        smooth_labels([0, 1, 2], epsilon=0.4, method="prior"),
        smooth_labels([0, 1, 2], epsilon=0.4),
    )


def test_similarity_matrix_hand_computed():
    # class 0 spreads to 1, class 1 to 0 and 2 equally, class 2 to 1
    S = np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 1, 0]])
    Y = smooth_labels([0, 1, 2], epsilon=0.2, method=S)
    expected = [[0.8, 0.2, 0.0], [0.1, 0.8, 0.1], [0.0, 0.2, 0.8]]
    assert_allclose(Y, expected, atol=1e-15)


def test_methods_are_special_matrices():
    y = np.array([0, 2, 1, 1])
    assert_allclose(
        smooth_labels(y, epsilon=0.3, method=np.full((3, 3), 1 / 3)),
        smooth_labels(y, epsilon=0.3),
    )
    off = (1 - np.eye(3)) / 2
    assert_allclose(
        smooth_labels(y, epsilon=0.3, method=off),
        smooth_labels(y, epsilon=0.3, method="off_target"),
    )


@pytest.mark.parametrize(
    "S, fragment",
    [
        (np.eye(2), r"shape \(3, 3\) to match the 3 classes, got shape \(2, 2\)"),
        (
            np.array([[0.5, 0.7, -0.2], [0, 1, 0], [0, 0, 1]]),
            r"non-negative; entry \[0, 2\] is -0\.2\.",
        ),
        (np.array([[0.5, 0.6, 0], [0, 1, 0], [0, 0, 1]]), r"row 0 sums to 1\.1\."),
        (np.array([[np.nan, 1, 0], [0, 1, 0], [0, 0, 1]]), "NaN or inf"),
        ([["a", "b", "c"]] * 3, "similarity matrix of numbers"),
    ],
)
def test_bad_similarity_matrix(S, fragment):
    with pytest.raises(ValueError, match=fragment):
        smooth_labels([0, 1, 2], method=S, n_classes=3)


def test_matrix_size_sets_n_classes_and_callable_gets_the_classes():
    S = np.full((4, 4), 0.25)
    assert smooth_labels([0, 1], epsilon=0.2, method=S).shape == (2, 4)
    with pytest.raises(ValueError, match="0..n_classes-1"):
        smooth_labels([0, 5], method=S)
    seen = []

    def build(classes):
        seen.append(list(classes))
        return (1 - np.eye(len(classes))) / (len(classes) - 1)

    Y = smooth_labels([0, 2], epsilon=0.3, method=build)
    assert seen == [[0, 1, 2]]
    assert_allclose(Y, smooth_labels([0, 2], epsilon=0.3, method="off_target"))


def test_matrix_epsilon_bound_names_the_class_that_loses_its_maximum():
    # class 0 sends all of its mass to class 1: 1 - eps > eps  <=>  eps < 0.5
    S = np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    smooth_labels([0, 1, 2], epsilon=0.49, method=S)
    with pytest.raises(ValueError, match=r"epsilon < 0\.5\. Class 0 is the first"):
        smooth_labels([0, 1, 2], epsilon=0.5, method=S)
    with pytest.raises(ValueError, match="to class 1"):
        smooth_labels([0, 1, 2], epsilon=0.5, method=S)


def test_prior_epsilon_bound_names_the_rare_class():
    # pi = [0.9, 0.1]; class 1 keeps 1 - eps + 0.1 eps > 0.9 eps <=> eps < 1/1.8
    y = [0] * 9 + [1]
    smooth_labels(y, epsilon=0.55, method="prior")
    with pytest.raises(ValueError, match=r"epsilon < 0\.555556\. Class 1"):
        smooth_labels(y, epsilon=0.56, method="prior")


@pytest.mark.parametrize(
    "weights, fragment",
    [
        ([1, -1, 1], "non-negative"),
        ([1, 1], "has 2 entries"),
        ([0, 0, 0], "sums to zero"),
    ],
)
def test_prior_checks_its_sample_weight(weights, fragment):
    with pytest.raises(ValueError, match=fragment):
        smooth_labels([0, 1, 2], method="prior", sample_weight=weights)
