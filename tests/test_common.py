"""scikit-learn's estimator checks on every public estimator; none may fail."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sksmooth import LabelSmoothingClassifier, SoftmaxRegression

ESTIMATORS = [
    SoftmaxRegression(),
    LabelSmoothingClassifier(),
    LabelSmoothingClassifier(
        SoftmaxRegression(C=10.0), epsilon=0.2, method="off_target"
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
