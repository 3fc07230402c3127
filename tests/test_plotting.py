"""ReliabilityDisplay draws what the metrics compute."""

import matplotlib
import numpy as np
import pytest
from numpy.testing import assert_allclose

from sksmooth.metrics import expected_calibration_error
from sksmooth.plotting import ReliabilityDisplay

matplotlib.use("Agg")


def test_from_predictions_draws_bins_diagonal_and_counts():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    y_prob = rng.dirichlet(np.ones(3), size=200)
    y_true = rng.integers(0, 3, size=200)
    display = ReliabilityDisplay.from_predictions(y_true, y_prob, n_bins=5, name="m")
    assert display.ece == pytest.approx(
        expected_calibration_error(y_true, y_prob, n_bins=5)
    )
    x, y = display.line_.get_data()
    assert_allclose(x, display.mean_confidence)
    assert_allclose(y, display.accuracy)
    assert display.counts.sum() == 200
    heights = [patch.get_height() for patch in display.hist_ax_.patches]
    assert_allclose(heights, display.counts)
    labels = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert f"m (ECE = {display.ece:.3f})" in labels
    assert display.figure_ is display.ax_.figure
    plt.close("all")


def test_from_estimator_uses_given_axes():
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_iris

    from sksmooth import SoftmaxRegression

    X, y = load_iris(return_X_y=True)
    clf = SoftmaxRegression(max_iter=500).fit(X, y)
    fig, ax = plt.subplots()
    display = ReliabilityDisplay.from_estimator(clf, X, y, ax=ax)
    assert display.ax_ is ax
    assert "SoftmaxRegression" in display.line_.get_label()
    plt.close("all")
