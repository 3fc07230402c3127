"""scikit-learn's estimator checks: one configuration per public estimator,
plus one per configuration that takes a code path of its own; none may fail.

The booster's configuration is in ``test_boosting.py`` (it needs lightgbm).
Parameters that only change numbers along a shared path (other smoothing
methods, ``class_weight``, which ``check_class_weight_classifiers`` sets
itself, other inner learners that take soft targets) are tested in their own
modules, not here again.
"""

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
    SoftMLPClassifier,
)

# Tight tolerance and a well-conditioned C: the sample-weight check compares
# a weighted and a repeated-data refit that start from the same fold model.
CV_LEARNER = SoftmaxRegression(C=0.1, tol=1e-10, max_iter=1000)
CV_GRID = {"epsilons": [0.0, 0.1, 0.3], "cv": 3}

ESTIMATORS = [
    # the learners: L-BFGS, and the Newton solver
    SoftmaxRegression(),
    SoftmaxRegression(solver="newton-cg"),
    SoftMLPClassifier(random_state=0),
    # the meta-estimator: native soft targets, the expansion path for another
    # classifier, forward smoothing (the learner fits against p T)
    LabelSmoothingClassifier(),
    LabelSmoothingClassifier(LogisticRegression()),
    LabelSmoothingClassifier(epsilon=0.2, smooth="predictions"),
    # the selector: plain; the joint selection and a temperature; forward
    # smoothing with its temperature inside T
    LabelSmoothingClassifierCV(CV_LEARNER, **CV_GRID),
    LabelSmoothingClassifierCV(
        CV_LEARNER, **CV_GRID, calibration="temperature", selection="best"
    ),
    LabelSmoothingClassifierCV(
        CV_LEARNER, **CV_GRID, smooth="predictions", calibration="temperature"
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
