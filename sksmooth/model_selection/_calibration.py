"""Temperature scaling of stored out-of-fold log-probabilities.

With forward smoothing (``smooth="predictions"``) the labels are scored
against ``q = softmax(log p / temperature) @ T``: the temperature is fitted
on ``p`` inside ``T`` (:func:`observed_log_proba`). The fit is to the
labels, with a weak prior on the temperature and a floor from the mistakes
the folds show (:func:`fit_temperature`).
"""

from typing import NamedTuple

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import log_softmax

# Bounds of the temperature search, on log T.
LOG_TEMPERATURE_BOUNDS = (np.log(1e-2), np.log(1e2))


class RowTransitions(NamedTuple):
    """A transition matrix per row, stored once per block of rows: row ``i``
    is scored against ``p @ matrices[index[i]]``, or against ``p`` itself
    where that entry is ``None`` (a checked row, against its verified class;
    the other rows against their validation fold's transition)."""

    index: np.ndarray  # (n_samples,) positions into matrices
    matrices: tuple  # (n_classes, n_classes) arrays or None

    def take(self, rows) -> "RowTransitions":
        return RowTransitions(self.index[rows], self.matrices)


def observed_log_proba(log_proba, transition=None):
    """``log(p @ transition)`` of log-probabilities ``log p``: what the labels
    are scored against under forward smoothing; ``log_proba`` itself for
    ``transition=None``; row by row for :class:`RowTransitions`. Floored at
    ``log(tiny)``.

    >>> import numpy as np
    >>> T = np.array([[0.8, 0.2], [0.2, 0.8]])
    >>> np.exp(observed_log_proba(np.log([[1.0, 1e-300]]), T)).round(3)
    array([[0.8, 0.2]])
    """
    if transition is None:
        return log_proba
    if isinstance(transition, RowTransitions):
        observed = np.array(log_proba, dtype=np.float64)
        for j, matrix in enumerate(transition.matrices):
            rows = transition.index == j
            if matrix is not None and rows.any():
                observed[rows] = observed_log_proba(log_proba[rows], matrix)
        return observed
    with np.errstate(under="ignore"):
        observed = np.exp(log_proba) @ transition
    return np.log(np.maximum(observed, np.finfo(np.float64).tiny))


def fit_temperature(
    log_proba, codes, sample_weight=None, transition=None, groups=None
) -> float:
    """The temperature of the out-of-fold predictions ``log_proba``: the
    maximum a posteriori ``τ`` of ``log_softmax(log_proba / τ)`` for the
    labels ``codes``, never sharper than the mistakes seen allow, and softer
    than 1 only when every validation fold asks for it.

    The (weighted) mean cross-entropy against the labels is minimised with a
    standard normal prior on ``log τ`` counting as one sample (``(log τ)² /
    (2 n)`` is added to the mean), which keeps ``τ`` near 1 where the labels
    say little about it. Maximum likelihood alone sharpens predictions
    without a mistake (separable folds) without bound, and each later
    mistake then costs tens of nats; so ``τ`` is held at or above the
    temperature at which the predictions' own expected error rate, the
    weighted mean of ``1 - max_k q_k``, reaches Laplace's rule of succession
    for the mistakes seen, ``(m + 1) / (n + 2)`` (``m`` the weight of
    the samples whose most probable class is not their label, ``n`` the total
    weight). That floor binds only when the folds show (almost) no mistakes,
    and it never softens beyond ``τ = 1``. With a ``transition`` matrix ``T``
    (forward smoothing) ``q = softmax(log_proba / τ) @ T`` is what the labels
    are scored against. Solved by bounded scalar minimisation over ``log τ``
    in ``[log 0.01, log 100]``.

    With ``groups`` (the fold of each row), a temperature above 1 is kept
    only if every group's own temperature, fitted the same way on its rows,
    is above 1 too; else ``τ = 1``. Pooled, a few confident mistakes in one
    fold soften the whole model, though the refit, on all the rows, is
    usually sharper and better than the fold models that made them; and
    where the labels are noisy, softening toward them blurs the classes the
    model should predict. Sharpening is not held back: its floor already
    bounds it.

    Parameters
    ----------
    log_proba : ndarray of shape (n_samples, n_classes)
        Out-of-fold log-probabilities.
    codes : ndarray of shape (n_samples,)
        Class codes ``0..n_classes-1`` of the labels.
    sample_weight : ndarray of shape (n_samples,), default=None
        ``n`` and ``m`` are sums of weights: an integer weight is a repeated
        sample.
    transition : ndarray of shape (n_classes, n_classes), default=None
        (The search passes a ``RowTransitions`` here, one matrix per
        validation fold and none on checked rows, for its combined score.)
    groups : ndarray of shape (n_samples,), default=None
        The validation fold of each row: softening needs all of them.

    Returns
    -------
    temperature : float

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.model_selection import fit_temperature
    >>> over_confident = np.log([[0.99, 0.01], [0.99, 0.01], [0.01, 0.99]])
    >>> float(fit_temperature(over_confident, np.array([0, 1, 1]))) > 1
    True

    Twenty predictions, none of them wrong, are sharpened only until the
    expected error rate is the rule of succession's one mistake in 22, not
    without end as maximum likelihood would have them:

    >>> never_wrong = np.log(np.tile([[0.9, 0.1], [0.1, 0.9]], (10, 1)))
    >>> round(float(fit_temperature(never_wrong, np.tile([0, 1], 10))), 3)
    0.722

    The over-confident rows above, in two folds of which only the first
    shows the mistake: not softened.

    >>> float(fit_temperature(over_confident, np.array([0, 1, 1]),
    ...                       groups=np.array([0, 0, 1])))
    1.0
    """
    temperature = pooled_temperature(log_proba, codes, sample_weight, transition)
    if groups is None or temperature <= 1.0:
        return temperature
    for group in np.unique(groups):
        rows = groups == group
        weights = None if sample_weight is None else sample_weight[rows]
        own_transition = (
            transition.take(rows)
            if isinstance(transition, RowTransitions)
            else transition
        )
        own = pooled_temperature(log_proba[rows], codes[rows], weights, own_transition)
        if own <= 1.0:
            return 1.0
    return temperature


def pooled_temperature(log_proba, codes, sample_weight=None, transition=None):
    """:func:`fit_temperature` on all the rows at once (no ``groups``)."""
    n_samples = log_proba.shape[0]
    weights = np.ones(n_samples) if sample_weight is None else sample_weight
    total = weights.sum()
    rows = np.arange(n_samples)

    def observed(log_temperature):
        scaled = log_softmax(log_proba / np.exp(log_temperature), axis=1)
        return observed_log_proba(scaled, transition)

    def loss(log_temperature):
        cross_entropy = -weights @ observed(log_temperature)[rows, codes] / total
        return cross_entropy + log_temperature**2 / (2 * total)

    result = minimize_scalar(
        loss, bounds=LOG_TEMPERATURE_BOUNDS, method="bounded", options={"xatol": 1e-10}
    )
    log_temperature = float(result.x)
    if log_temperature < 0.0:
        floor = sharpest_log_temperature(observed, codes, weights)
        log_temperature = max(log_temperature, floor)
    return float(np.exp(log_temperature))


def sharpest_log_temperature(observed, codes, weights) -> float:
    """The smallest ``log τ`` in ``[log 0.01, 0]`` at which the expected error
    rate of the predictions ``exp(observed(log τ))`` reaches the rule of
    succession ``(m + 1) / (n + 2)`` for their mistakes at ``τ = 1`` (``m``
    and ``n`` sums of ``weights``; see :func:`fit_temperature`)."""
    total = weights.sum()
    mistakes = weights @ (np.argmax(observed(0.0), axis=1) != codes)
    floor = (mistakes + 1.0) / (total + 2.0)

    def excess(log_temperature):
        confidence = np.exp(observed(log_temperature)).max(axis=1)
        return weights @ (1.0 - confidence) / total - floor

    low = LOG_TEMPERATURE_BOUNDS[0]
    if excess(0.0) <= 0.0:  # already as sharp as the mistakes allow
        return 0.0
    if excess(low) >= 0.0:
        return low
    return float(brentq(excess, low, 0.0, xtol=1e-9))


def scaled_log_proba(log_proba, temperature: float):
    """``log_softmax(log_proba / temperature)``; unchanged at temperature 1."""
    if temperature == 1.0:
        return log_proba
    return log_softmax(log_proba / temperature, axis=-1)
