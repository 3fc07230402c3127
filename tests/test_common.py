"""scikit-learn's estimator checks on every public estimator; none may fail."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sksmooth import LabelSmoothingClassifier, SoftmaxRegression, SoftMLPClassifier

ESTIMATORS = [
    SoftmaxRegression(),
    LabelSmoothingClassifier(),
    LabelSmoothingClassifier(
        SoftmaxRegression(C=10.0), epsilon=0.2, method="off_target"
    ),
    SoftMLPClassifier(random_state=0),
    LabelSmoothingClassifier(
        SoftMLPClassifier(
            hidden_layer_sizes=(20, 10), activation="tanh", random_state=0
        )
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
