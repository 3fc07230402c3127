"""Temperature scaling of stored out-of-fold log-probabilities.

With forward smoothing (``smooth="predictions"``) the labels are scored
against ``q = softmax(log p / temperature) @ T``: the temperature is fitted
on ``p`` inside ``T`` (:func:`observed_log_proba`). The fit is Platt's: on
targets that allow for one more mistake than were made
(:func:`succession_targets`), with a weak prior on the temperature.
"""

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

# Bounds of the temperature search, on log T.
LOG_TEMPERATURE_BOUNDS = (np.log(1e-2), np.log(1e2))


def observed_log_proba(log_proba, transition=None):
    """``log(p @ transition)`` of log-probabilities ``log p``: what the labels
    are scored against under forward smoothing; ``log_proba`` itself for
    ``transition=None``. Floored at ``log(tiny)``.

    >>> import numpy as np
    >>> T = np.array([[0.8, 0.2], [0.2, 0.8]])
    >>> np.exp(observed_log_proba(np.log([[1.0, 1e-300]]), T)).round(3)
    array([[0.8, 0.2]])
    """
    if transition is None:
        return log_proba
    with np.errstate(under="ignore"):
        observed = np.exp(log_proba) @ transition
    return np.log(np.maximum(observed, np.finfo(np.float64).tiny))


def succession_targets(codes, n_classes: int, sample_weight=None) -> np.ndarray:
    """Platt's out-of-sample targets for calibrating on ``codes``: a sample of
    class ``k``, one of ``n_k``, gets ``(n_k + 1) / (n_k + 2)`` on its class
    and ``1 / (n_k + 2)`` shared evenly among the others (Laplace's rule of
    succession: after ``n_k`` cases without a mistake, the next is still
    wrong with probability ``1 / (n_k + 2)``). Platt (1999) fits his sigmoid
    on these targets for the same reason: so that predictions without a
    single mistake cannot make the calibration infinitely sharp.

    Parameters
    ----------
    codes : ndarray of shape (n_samples,)
        Class codes ``0..n_classes-1``.
    n_classes : int
        Number of classes, at least 2.
    sample_weight : ndarray of shape (n_samples,), default=None
        ``n_k`` is the weight of class ``k``, so that an integer weight is
        the same as repeating the sample.

    Returns
    -------
    targets : ndarray of shape (n_samples, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.model_selection._calibration import succession_targets
    >>> succession_targets(np.array([0, 0, 1]), 3).round(3)
    array([[0.75 , 0.125, 0.125],
           [0.75 , 0.125, 0.125],
           [0.167, 0.667, 0.167]])
    """
    counts = np.bincount(codes, weights=sample_weight, minlength=n_classes)
    wrong = 1.0 / (counts[codes] + 2.0)
    targets = np.repeat((wrong / (n_classes - 1))[:, None], n_classes, axis=1)
    targets[np.arange(codes.shape[0]), codes] = 1.0 - wrong
    return targets


def fit_temperature(log_proba, codes, sample_weight=None, transition=None) -> float:
    """The temperature of the out-of-fold predictions ``log_proba``: the
    maximum a posteriori ``τ`` of ``log_softmax(log_proba / τ)`` for the
    labels ``codes``.

    The (weighted) mean cross-entropy is taken against Platt's targets
    (:func:`succession_targets`), not the bare labels, and ``log τ`` has a
    standard normal prior counting as one sample (``(log τ)² / (2 n)`` is
    added to the mean). The first keeps a set of predictions without a
    mistake (separable folds) from sharpening without bound, which would
    make every later mistake cost tens of nats; the second keeps ``τ`` near 1
    where the labels say little about it. With a ``transition`` matrix ``T``
    (forward smoothing) the targets are scored against ``softmax(log_proba /
    τ) @ T``: an ``ε`` large enough blurs ``p`` so much that without the
    prior ``τ`` would drift to a bound. Solved by bounded scalar minimisation
    over ``log τ`` in ``[log 0.01, log 100]`` (``n`` and Platt's ``n_k`` are
    sums of the sample weights: an integer weight is a repeated sample).

    Parameters
    ----------
    log_proba : ndarray of shape (n_samples, n_classes)
        Out-of-fold log-probabilities.
    codes : ndarray of shape (n_samples,)
        Class codes ``0..n_classes-1`` of the labels.
    sample_weight : ndarray of shape (n_samples,), default=None
    transition : ndarray of shape (n_classes, n_classes), default=None

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

    Twenty confident predictions, none of them wrong, are softened toward the
    rule of succession's one mistake in twelve, not sharpened without end as
    maximum likelihood would have them:

    >>> never_wrong = np.log(np.tile([[0.99, 0.01], [0.01, 0.99]], (10, 1)))
    >>> round(float(fit_temperature(never_wrong, np.tile([0, 1], 10))), 2)
    1.8
    """
    n_samples, n_classes = log_proba.shape
    weights = np.ones(n_samples) if sample_weight is None else sample_weight
    targets = succession_targets(codes, n_classes, weights)
    total = weights.sum()
    weights = weights / total

    def loss(log_temperature):
        scaled = log_softmax(log_proba / np.exp(log_temperature), axis=1)
        scaled = observed_log_proba(scaled, transition)
        cross_entropy = -np.sum(weights @ (targets * scaled))
        return cross_entropy + log_temperature**2 / (2 * total)

    result = minimize_scalar(
        loss,
        bounds=LOG_TEMPERATURE_BOUNDS,
        method="bounded",
        options={"xatol": 1e-7},
    )
    return float(np.exp(result.x))


def scaled_log_proba(log_proba, temperature: float):
    """``log_softmax(log_proba / temperature)``; unchanged at temperature 1."""
    if temperature == 1.0:
        return log_proba
    return log_softmax(log_proba / temperature, axis=-1)
