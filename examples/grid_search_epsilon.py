"""Choose epsilon (and C) by cross-validated log-loss, and draw the validation curve.
==================================================================================

Run it with::

    python examples/grid_search_epsilon.py [--output DIR]
"""

import numpy as np
from _example_utils import QUICK, parse_output, save
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, ValidationCurveDisplay
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth import LabelSmoothingClassifier, SoftmaxRegression

output = parse_output(__doc__)
X, y = load_digits(return_X_y=True)
if QUICK:  # a smoke run: the first 500 digits, every class
    X, y = X[:500], y[:500]
pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        ("clf", LabelSmoothingClassifier(SoftmaxRegression(max_iter=300))),
    ]
)
epsilons = [0.0, 0.1] if QUICK else [0.0, 0.02, 0.05, 0.1, 0.2]
grid = GridSearchCV(
    pipe,
    {"clf__epsilon": epsilons, "clf__estimator__C": [0.1, 1.0]},
    scoring="neg_log_loss",
    cv=3,
).fit(X, y)
print("epsilon  C     CV log-loss")
for params, score in zip(
    grid.cv_results_["params"], grid.cv_results_["mean_test_score"], strict=True
):
    print(
        f"{params['clf__epsilon']:<8g} {params['clf__estimator__C']:<5g} {-score:.4f}"
    )
print(f"best: {grid.best_params_}, CV log-loss {-grid.best_score_:.4f}")

best_C = grid.best_params_["clf__estimator__C"]
pipe.set_params(clf__estimator__C=best_C)
display = ValidationCurveDisplay.from_estimator(
    pipe,
    X,
    y,
    param_name="clf__epsilon",
    param_range=np.array(epsilons),
    scoring="neg_log_loss",
    negate_score=True,
    cv=3,
)
display.ax_.set(xlabel="epsilon", ylabel="log-loss", title=f"digits, C={best_C:g}")
save(display.figure_, output, "grid_search_epsilon.png")
