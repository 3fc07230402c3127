"""Metrics: calibration errors, and the log-loss of soft targets.

- :func:`expected_calibration_error` (top-label) and
  :func:`classwise_calibration_error`, usable as scikit-learn scorers::

      from sklearn.metrics import make_scorer
      ece_scorer = make_scorer(expected_calibration_error, greater_is_better=False,
                               response_method="predict_proba")

- :func:`soft_log_loss`, the log-loss of labels or of soft (probability)
  targets, and :func:`neg_soft_log_loss`, its scorer: scikit-learn's
  ``"neg_log_loss"`` refuses a soft-target matrix as ``y``, so
  ``cross_val_score(SoftmaxRegression(), X, Y_soft, scoring=neg_soft_log_loss)``
  is the proper score of a learner fitted on soft targets.
"""

from numbers import Integral

import numpy as np
from sklearn.metrics import log_loss
from sklearn.utils import check_array, check_consistent_length, column_or_1d

from sksmooth._validation import check_soft_targets, column_order, target_columns

STRATEGIES = ("uniform", "quantile")


__all__ = [
    "classwise_calibration_error",
    "expected_calibration_error",
    "neg_soft_log_loss",
    "soft_log_loss",
]


def soft_log_loss(y_true, y_prob, *, sample_weight=None, labels=None) -> float:
    """Log-loss of labels or of soft targets: the mean soft cross-entropy.

    For soft targets ``Y`` it is ``sum_i w_i * (-sum_k Y_ik log p_ik) /
    sum_i w_i``, the data term sksmooth's learners minimise; for one-hot rows
    it is the log-loss of their labels. 1-D labels are handed to
    :func:`sklearn.metrics.log_loss` as they are. Probabilities are clipped to
    ``[eps, 1 - eps]`` of their dtype, as scikit-learn's ``log_loss`` does.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels, or soft targets (non-negative rows summing to one) whose
        columns are the classes in the order of ``y_prob``'s columns; a
        DataFrame's columns are matched to ``labels`` by name when ``labels``
        is given.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; a 1-D array is the probability of the second
        of two classes (what a binary ``predict_proba`` scorer passes).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    labels : array-like of shape (n_classes,), default=None
        The classes in the order of ``y_prob``'s columns (an estimator's
        ``classes_``).

    Returns
    -------
    loss : float
        Non-negative; lower is better.

    See Also
    --------
    neg_soft_log_loss : The scorer, for ``cross_val_score`` and searches.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.metrics import soft_log_loss
    >>> Y = np.array([[0.7, 0.3], [0.2, 0.8]])
    >>> round(soft_log_loss(Y, np.array([[0.6, 0.4], [0.5, 0.5]])), 4)
    0.6628
    """
    columns = target_columns(y_true)
    Y = check_array(
        y_true, ensure_2d=False, dtype=None, ensure_all_finite=False, input_name="y"
    )
    if Y.ndim == 1 or Y.shape[1] == 1:
        return float(
            log_loss(y_true, y_prob, sample_weight=sample_weight, labels=labels)
        )
    Y = check_array(y_true, dtype=np.float64, input_name="y_true")
    check_soft_targets(Y)
    if columns is not None and labels is not None:
        Y = Y[:, column_order(columns, np.asarray(labels))]
    P = check_array(y_prob, ensure_2d=False, dtype=np.float64, input_name="y_prob")
    check_consistent_length(Y, P)
    if P.ndim == 1:
        P = np.column_stack([1.0 - P, P])
    if P.shape[1] != Y.shape[1]:
        raise ValueError(
            f"The soft targets y_true have {Y.shape[1]} columns but y_prob has "
            f"{P.shape[1]}; pass one column per class in the same order."
        )
    if np.any(P < 0) or np.any(P > 1):
        raise ValueError("y_prob must hold probabilities in [0, 1].")
    eps = np.finfo(P.dtype).eps
    losses = -np.sum(Y * np.log(np.clip(P, eps, 1 - eps)), axis=1)
    return float(np.average(losses, weights=sample_weight))


def neg_soft_log_loss(estimator, X, y, sample_weight=None) -> float:
    """Minus :func:`soft_log_loss` of ``estimator`` on ``X``: a scorer.

    Use it where scikit-learn's ``scoring="neg_log_loss"`` refuses soft
    targets (``cross_val_score``, ``GridSearchCV``, ...). The columns of
    ``predict_proba`` follow ``estimator.classes_``; a DataFrame ``y``'s
    columns are matched to them by name.

    Parameters
    ----------
    estimator : fitted classifier with ``predict_proba``
    X : array-like of shape (n_samples, n_features)
        The samples.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels or soft targets.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        Minus the log-loss; greater is better.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_val_score
    >>> from sksmooth import SoftmaxRegression, smooth_labels
    >>> from sksmooth.metrics import neg_soft_log_loss
    >>> X, y = load_iris(return_X_y=True)
    >>> Y = smooth_labels(y, epsilon=0.1)
    >>> scores = cross_val_score(SoftmaxRegression(max_iter=500), X, Y, cv=3,
    ...                          scoring=neg_soft_log_loss)
    >>> bool(all(scores < 0))
    True
    """
    proba = estimator.predict_proba(X)
    return -soft_log_loss(
        y, proba, sample_weight=sample_weight, labels=estimator.classes_
    )


def expected_calibration_error(
    y_true, y_prob, *, n_bins: int = 15, strategy: str = "uniform", labels=None
) -> float:
    """Top-label expected calibration error (ECE).

    Each sample's confidence is the largest predicted probability; samples are
    binned by confidence and the ECE is the sample-weighted mean over bins of
    ``|accuracy - mean confidence|`` (Guo et al., 2017). A perfectly calibrated
    classifier scores 0; lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in the order of ``labels``; a 1-D array
        is the probability of the second of two labels (what a binary
        ``predict_proba`` scorer passes).
    n_bins : int, default=15
        Number of confidence bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        ``"uniform"``: equal-width bins on ``[0, 1]``, each bin ``(lo, hi]``;
        ``"quantile"``: bins holding equal numbers of samples.
    labels : array-like of shape (n_classes,), default=None
        The classes, in the order of ``y_prob``'s columns (as an estimator's
        ``classes_``). Defaults to the sorted distinct values of ``y_true``.

    Returns
    -------
    ece : float
        In ``[0, 1]``.

    See Also
    --------
    classwise_calibration_error : The class-wise version.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.metrics import expected_calibration_error
    >>> y_true = [0, 1, 1, 0]
    >>> y_prob = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])
    >>> round(expected_calibration_error(y_true, y_prob, n_bins=4), 4)
    0.15
    """
    y_true, y_prob, labels = check_calibration_inputs(
        y_true, y_prob, labels, n_bins, strategy
    )
    confidence = y_prob.max(axis=1)
    correct = labels[np.argmax(y_prob, axis=1)] == y_true
    return _binned_gap(confidence, correct.astype(float), n_bins, strategy)


def classwise_calibration_error(
    y_true, y_prob, *, n_bins: int = 15, strategy: str = "uniform", labels=None
) -> float:
    """Class-wise expected calibration error.

    For every class ``k``, samples are binned by their predicted probability of
    ``k`` and the gap between the observed frequency of ``k`` and the mean
    predicted probability is averaged over bins (weighted by bin size); the
    result is the mean over classes (Kull et al., 2019). Lower is better.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities (see :func:`expected_calibration_error`).
    n_bins : int, default=15
        Number of probability bins per class.
    strategy : {"uniform", "quantile"}, default="uniform"
        How the bins are cut (see :func:`expected_calibration_error`).
    labels : array-like of shape (n_classes,), default=None
        The classes, in the order of ``y_prob``'s columns.

    Returns
    -------
    error : float
        In ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.metrics import classwise_calibration_error
    >>> y_prob = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]])
    >>> round(classwise_calibration_error([0, 1, 1, 0], y_prob, n_bins=4), 4)
    0.15
    """
    y_true, y_prob, labels = check_calibration_inputs(
        y_true, y_prob, labels, n_bins, strategy
    )
    errors = [
        _binned_gap(y_prob[:, k], (y_true == label).astype(float), n_bins, strategy)
        for k, label in enumerate(labels)
    ]
    return float(np.mean(errors))


def calibration_bins(confidence, outcome, *, n_bins: int = 15, strategy="uniform"):
    """Per-bin mean confidence, mean outcome and count.

    Parameters
    ----------
    confidence : ndarray of shape (n_samples,)
        Predicted probabilities in ``[0, 1]``.
    outcome : ndarray of shape (n_samples,)
        1 where the predicted event happened, else 0.
    n_bins : int, default=15
    strategy : {"uniform", "quantile"}, default="uniform"

    Returns
    -------
    mean_confidence, mean_outcome, counts : ndarrays of shape (n_nonempty_bins,)
        Empty bins are left out.
    """
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    else:
        edges = np.unique(np.quantile(confidence, np.linspace(0.0, 1.0, n_bins + 1)))
    # Bin j is (edges[j], edges[j + 1]]; a confidence equal to the lowest edge
    # goes into the first bin.
    index = np.clip(
        np.searchsorted(edges, confidence, side="left") - 1, 0, len(edges) - 2
    )
    counts = np.bincount(index, minlength=len(edges) - 1)
    sum_confidence = np.bincount(index, weights=confidence, minlength=len(counts))
    sum_outcome = np.bincount(index, weights=outcome, minlength=len(counts))
    nonempty = counts > 0
    counts = counts[nonempty]
    return (
        sum_confidence[nonempty] / counts,
        sum_outcome[nonempty] / counts,
        counts,
    )


def _binned_gap(confidence, outcome, n_bins, strategy) -> float:
    mean_confidence, mean_outcome, counts = calibration_bins(
        confidence, outcome, n_bins=n_bins, strategy=strategy
    )
    return float(np.sum(counts * np.abs(mean_outcome - mean_confidence)) / counts.sum())


def check_calibration_inputs(y_true, y_prob, labels, n_bins, strategy):
    """Validate the metric inputs; return ``y_true``, 2-D ``y_prob``, ``labels``.

    Used by :mod:`sksmooth.plotting` too.
    """
    if isinstance(n_bins, bool) or not isinstance(n_bins, Integral) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int, got {n_bins!r}.")
    if strategy not in STRATEGIES:
        raise ValueError(
            f"strategy must be one of {list(STRATEGIES)}, got {strategy!r}."
        )
    y_true = column_or_1d(y_true)
    y_prob = check_array(y_prob, ensure_2d=False, dtype=np.float64, input_name="y_prob")
    check_consistent_length(y_true, y_prob)
    labels = np.unique(y_true) if labels is None else column_or_1d(labels)
    if y_prob.ndim == 1:
        if len(labels) > 2:
            raise ValueError(
                "A 1-D y_prob is the probability of the second of two classes, "
                f"but there are {len(labels)} labels; pass the full "
                "(n_samples, n_classes) matrix."
            )
        if len(labels) < 2:
            raise ValueError(
                "A 1-D y_prob needs both classes to be known: y_true holds only "
                f"{labels.tolist()}; pass labels=[negative, positive]."
            )
        y_prob = np.column_stack([1.0 - y_prob, y_prob])
    if y_prob.ndim != 2 or y_prob.shape[1] != len(labels):
        raise ValueError(
            f"y_prob has {y_prob.shape[1] if y_prob.ndim == 2 else 1} columns but "
            f"there are {len(labels)} labels {labels.tolist()}; pass labels= in "
            "the order of y_prob's columns (an estimator's classes_)."
        )
    if np.any(y_prob < 0) or np.any(y_prob > 1):
        raise ValueError("y_prob must hold probabilities in [0, 1].")
    if not np.allclose(y_prob.sum(axis=1), 1.0, rtol=0, atol=1e-6):
        raise ValueError("Each row of y_prob must sum to one.")
    unknown = np.setdiff1d(y_true, labels)
    if unknown.size:
        raise ValueError(
            f"y_true holds labels {unknown.tolist()} that are not in labels "
            f"{labels.tolist()}."
        )
    return y_true, y_prob, labels
