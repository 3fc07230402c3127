"""Every estimator survives a skops round trip under the command line's trust.

Each fitted estimator is dumped with skops and loaded with exactly the names
``sksmooth predict`` trusts (:func:`sksmooth.cli.trusted_types`, on top of
skops's own defaults); its predictions must be identical. A similarity given
as a function is the one thing such a file cannot carry: a function is code,
and is refused.
"""

import numpy as np
import pytest
import skops.io
from sklearn.datasets import load_iris
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth import LabelSmoothingClassifier, SoftmaxRegression, SoftMLPClassifier
from sksmooth.cli import trusted_types

NEIGHBOURS = np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 1, 0]])

ESTIMATORS = {
    "softmax": SoftmaxRegression(max_iter=300),
    "mlp": SoftMLPClassifier((5,), max_iter=50, random_state=0),
    "uniform": LabelSmoothingClassifier(SoftmaxRegression(max_iter=300)),
    "off_target": LabelSmoothingClassifier(method="off_target", epsilon=0.2),
    "prior": LabelSmoothingClassifier(method="prior", epsilon=0.2),
    "matrix": LabelSmoothingClassifier(method=NEIGHBOURS, epsilon=0.2),
    "mlp inside": LabelSmoothingClassifier(
        SoftMLPClassifier((5,), max_iter=50, random_state=0)
    ),
    "expansion, linear": LabelSmoothingClassifier(LogisticRegression(max_iter=300)),
    "expansion, trees": LabelSmoothingClassifier(
        HistGradientBoostingClassifier(max_iter=5)
    ),
    "pipeline": make_pipeline(StandardScaler(), LabelSmoothingClassifier()),
}


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, load_iris().target_names[y]


# What a file needs trusted beyond the command line's list: only the boosted
# trees' own predictor, a scikit-learn type skops does not trust by default
# (``sksmooth fit`` never makes such a model; a user loading one trusts it).
BEYOND_THE_CLI = {
    "expansion, trees": {
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"
    },
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", ESTIMATORS)
def test_round_trip_with_the_command_lines_trust(iris, name):
    X, y = iris
    fitted = ESTIMATORS[name].fit(X, y)
    data = skops.io.dumps(fitted)
    untrusted = set(skops.io.get_untrusted_types(data=data))
    extra = BEYOND_THE_CLI.get(name, set())
    assert untrusted - trusted_types() == extra
    loaded = skops.io.loads(data, trusted=sorted(trusted_types() | extra))
    assert type(loaded) is type(fitted)
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_similarity_function_is_not_trusted(iris):
    X, y = iris
    fitted = LabelSmoothingClassifier(method=neighbours, epsilon=0.2).fit(X, y)
    untrusted = skops.io.get_untrusted_types(data=skops.io.dumps(fitted))
    assert set(untrusted) - trusted_types() == {f"{__name__}.neighbours"}


def neighbours(classes):
    """A similarity given as a function: code, which a model file cannot carry."""
    return NEIGHBOURS
