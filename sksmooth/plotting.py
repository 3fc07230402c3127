"""Reliability diagrams in scikit-learn's Display style.

matplotlib is an optional extra (``pip install "sksmooth[plot]"``) and is only
imported when a figure is drawn.
"""

import numpy as np

from sksmooth.metrics import (
    calibration_bins,
    check_calibration_inputs,
    expected_calibration_error,
)

__all__ = ["ReliabilityDisplay"]


class ReliabilityDisplay:
    """Top-label reliability diagram: confidence against accuracy per bin.

    Use :meth:`from_estimator` or :meth:`from_predictions` to build one; they
    call :meth:`plot`. The diagram shows the accuracy of each confidence bin
    against its mean confidence, the diagonal of perfect calibration, the
    number of samples per bin as a histogram underneath, and the expected
    calibration error in the legend.

    Parameters
    ----------
    mean_confidence : ndarray of shape (n_nonempty_bins,)
        Mean top-label confidence of each bin.
    accuracy : ndarray of shape (n_nonempty_bins,)
        Accuracy of each bin.
    counts : ndarray of shape (n_nonempty_bins,)
        Samples per bin.
    ece : float
        Expected calibration error.
    name : str, default=None
        Name for the legend.
    n_bins : int, default=None
        Number of bins, empty ones included (sets the bar width); defaults to
        the number of non-empty bins.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The reliability curve.
    ax_ : matplotlib Axes
        The axes of the diagram.
    hist_ax_ : matplotlib Axes
        The twin axes holding the bin counts.
    figure_ : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sksmooth import SoftmaxRegression
    >>> from sksmooth.plotting import ReliabilityDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxRegression(max_iter=500).fit(X, y)
    >>> display = ReliabilityDisplay.from_estimator(clf, X, y, n_bins=10)
    >>> 0 <= display.ece <= 1
    True
    """

    def __init__(
        self, mean_confidence, accuracy, counts, ece, *, name=None, n_bins=None
    ):
        self.mean_confidence = mean_confidence
        self.accuracy = accuracy
        self.counts = counts
        self.ece = ece
        self.name = name
        self.n_bins = n_bins

    def plot(self, ax=None, *, name=None, ref_line=True, **kwargs):
        """Draw the diagram.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure if ``None``.
        name : str, default=None
            Legend name; defaults to the one given at construction.
        ref_line : bool, default=True
            Whether to draw the diagonal of perfect calibration.
        **kwargs : dict
            Passed to ``ax.plot`` for the reliability curve.

        Returns
        -------
        display : ReliabilityDisplay
            ``self``, with ``ax_``, ``hist_ax_``, ``figure_`` and ``line_`` set.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        name = self.name if name is None else name
        label = (
            f"ECE = {self.ece:.3f}"
            if name is None
            else f"{name} (ECE = {self.ece:.3f})"
        )
        if ref_line:
            ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="calibrated")
        line_kwargs = {"marker": "o", "label": label, **kwargs}
        (self.line_,) = ax.plot(self.mean_confidence, self.accuracy, **line_kwargs)
        # Bin counts as a histogram underneath, on a twin axis scaled so that
        # the bars fill the lower quarter of the diagram.
        hist_ax = ax.twinx()
        width = 0.8 / max(self.n_bins or len(self.counts), 1)
        hist_ax.bar(
            self.mean_confidence,
            self.counts,
            width=width,
            alpha=0.25,
            color=self.line_.get_color(),
        )
        hist_ax.set_ylim(0, 4 * max(self.counts.max(), 1))
        hist_ax.set_yticks([])
        ax.set(
            xlim=(0, 1),
            ylim=(0, 1),
            xlabel="confidence (top-label probability)",
            ylabel="accuracy",
        )
        ax.legend(loc="upper left")
        self.ax_, self.hist_ax_, self.figure_ = ax, hist_ax, ax.figure
        return self

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_prob,
        *,
        n_bins=15,
        strategy="uniform",
        labels=None,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Reliability diagram of given probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
            Predicted probabilities (see
            :func:`~sksmooth.metrics.expected_calibration_error`).
        n_bins : int, default=15
        strategy : {"uniform", "quantile"}, default="uniform"
        labels : array-like of shape (n_classes,), default=None
            Classes in the order of ``y_prob``'s columns.
        name : str, default=None
            Legend name.
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to ``ax.plot``.

        Returns
        -------
        display : ReliabilityDisplay
        """
        y_true, y_prob, labels = check_calibration_inputs(
            y_true, y_prob, labels, n_bins, strategy
        )
        confidence = y_prob.max(axis=1)
        correct = (labels[np.argmax(y_prob, axis=1)] == y_true).astype(float)
        mean_confidence, accuracy, counts = calibration_bins(
            confidence, correct, n_bins=n_bins, strategy=strategy
        )
        ece = expected_calibration_error(
            y_true, y_prob, n_bins=n_bins, strategy=strategy, labels=labels
        )
        display = cls(mean_confidence, accuracy, counts, ece, name=name, n_bins=n_bins)
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, name=None, **kwargs):
        """Reliability diagram of a fitted classifier's ``predict_proba``.

        Parameters
        ----------
        estimator : fitted classifier
            With ``predict_proba`` and ``classes_``.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            True labels.
        name : str, default=None
            Legend name; the estimator's class name by default.
        **kwargs : dict
            Passed to :meth:`from_predictions`.

        Returns
        -------
        display : ReliabilityDisplay
        """
        name = type(estimator).__name__ if name is None else name
        return cls.from_predictions(
            y,
            estimator.predict_proba(X),
            labels=estimator.classes_,
            name=name,
            **kwargs,
        )
