"""Temperature scaling of stored out-of-fold log-probabilities.

With forward smoothing (``smooth="predictions"``) the labels are scored
against ``q = softmax(log p / temperature) @ T``: the temperature is fitted
on ``p`` inside ``T`` (:func:`observed_log_proba`).
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


def fit_temperature(log_proba, codes, sample_weight=None, transition=None) -> float:
    """The temperature minimising the (weighted) log-loss of
    ``log_softmax(log_proba / temperature)``: a 1-D convex problem in ``1 /
    temperature``, solved by bounded scalar minimisation over its log in
    ``[log 0.01, log 100]``. With a ``transition`` matrix ``T`` the labels are
    scored against ``softmax(log_proba / temperature) @ T`` instead (not
    convex in general; the bounded search still finds the best on the bounds).

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.model_selection import fit_temperature
    >>> over_confident = np.log([[0.99, 0.01], [0.99, 0.01], [0.01, 0.99]])
    >>> float(fit_temperature(over_confident, np.array([0, 1, 1]))) > 1
    True
    """
    rows = np.arange(codes.shape[0])
    weights = np.ones(codes.shape[0]) if sample_weight is None else sample_weight

    def loss(log_temperature):
        scaled = log_softmax(log_proba / np.exp(log_temperature), axis=1)
        scaled = observed_log_proba(scaled, transition)
        return -np.average(scaled[rows, codes], weights=weights)

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
