"""Temperature scaling of stored out-of-fold log-probabilities."""

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

# Bounds of the temperature search, on log T.
LOG_TEMPERATURE_BOUNDS = (np.log(1e-2), np.log(1e2))


def fit_temperature(log_proba, codes, sample_weight=None) -> float:
    """The temperature ``T`` minimising the (weighted) log-loss of
    ``log_softmax(log_proba / T)``: a 1-D convex problem in ``1 / T``, solved
    by bounded scalar minimisation over ``log T`` in ``[log 0.01, log 100]``.

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
