"""scikit-learn's estimator checks on every public estimator; none may fail."""

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
    SoftMLPClassifier,
)


def neighbour_similarity(classes):
    """Each class spreads its mass to its neighbours in sorted order."""
    n_classes = len(classes)
    S = np.zeros((n_classes, n_classes))
    for k in range(n_classes):
        neighbours = [j for j in (k - 1, k + 1) if 0 <= j < n_classes]
        S[k, neighbours] = 1 / len(neighbours)
    return S


ESTIMATORS = [
    SoftmaxRegression(),
    SoftmaxRegression(solver="newton-cg"),
    SoftmaxRegression(class_weight="balanced"),
    LabelSmoothingClassifier(),
    LabelSmoothingClassifier(
        SoftmaxRegression(C=10.0), epsilon=0.2, method="off_target"
    ),
    LabelSmoothingClassifier(method="prior", epsilon=0.3),
    # The checks use two- and three-class data, so the similarity matrix is
    # built from the classes; it then takes the same path as a given array.
    LabelSmoothingClassifier(method=neighbour_similarity, epsilon=0.2),
    LabelSmoothingClassifier(HistGradientBoostingClassifier(max_iter=20)),
    SoftMLPClassifier(random_state=0),
    SoftMLPClassifier(class_weight="balanced", random_state=0),
    LabelSmoothingClassifier(class_weight="balanced"),
    LabelSmoothingClassifier(LogisticRegression(), class_weight="balanced"),
    LabelSmoothingClassifier(
        SoftMLPClassifier(
            hidden_layer_sizes=(20, 10), activation="tanh", random_state=0
        )
    ),
    # Tight tolerance and a well-conditioned C: the sample-weight check compares
    # a weighted and a repeated-data refit that start from the same fold model.
    LabelSmoothingClassifierCV(
        SoftmaxRegression(C=0.1, tol=1e-10, max_iter=1000),
        epsilons=[0.0, 0.1, 0.3],
        cv=3,
    ),
    LabelSmoothingClassifierCV(
        SoftmaxRegression(C=0.1, tol=1e-10, max_iter=1000),
        epsilons=[0.0, 0.1, 0.3],
        cv=3,
        calibration="temperature",
        selection="one_standard_error",
    ),
    LabelSmoothingClassifier(epsilon=0.2, smooth="predictions"),
    LabelSmoothingClassifier(
        SoftMLPClassifier(random_state=0), epsilon=0.2, smooth="predictions"
    ),
    LabelSmoothingClassifierCV(
        SoftmaxRegression(C=0.1, tol=1e-10, max_iter=1000),
        epsilons=[0.0, 0.1, 0.3],
        cv=3,
        smooth="predictions",
        calibration="temperature",
    ),
]


def expected_failed_checks(estimator):
    """Only what scikit-learn itself declares for HistGradientBoostingClassifier."""
    inner = getattr(estimator, "estimator", None)
    if isinstance(inner, HistGradientBoostingClassifier):
        reason = "sample_weight is not equivalent to removing/repeating samples."
        return {
            "check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason,
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
