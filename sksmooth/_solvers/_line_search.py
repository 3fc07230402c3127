"""A strong-Wolfe line search (Nocedal and Wright, Algorithms 3.5 and 3.6),
one evaluation per trial, trial points from the cubic through the bracket's ends.
"""

import math

import numpy as np


def _cubic_minimiser(t0, f0, d0, t1, f1, d1):
    """The minimiser of the cubic through two points with slopes, or ``None``."""
    d_1 = d0 + d1 - 3 * (f0 - f1) / (t0 - t1)
    radicand = d_1 * d_1 - d0 * d1
    if radicand < 0:
        return None
    d_2 = np.sign(t1 - t0) * np.sqrt(radicand)
    denominator = d1 - d0 + 2 * d_2
    if denominator == 0:
        return None
    return t1 - (t1 - t0) * (d1 + d_2 - d_1) / denominator


def wolfe_line_search(
    phi, f0, d0, step=1.0, *, c1=1e-4, c2=0.9, max_evals=20, noise=0.0
):
    """Find ``t`` with ``phi(t)`` meeting the strong Wolfe conditions.

    ``phi(t) -> (value, slope, payload)`` evaluates the objective on the line
    (``slope`` its derivative in ``t``); ``f0`` and ``d0 < 0`` are its value
    and slope at ``t = 0``. The conditions are sufficient decrease,
    ``phi(t) <= f0 + c1 t d0``, and curvature, ``|phi'(t)| <= c2 |d0|``
    (Nocedal and Wright, Algorithms 3.5 and 3.6; trial points in the bracket
    from the cubic through its ends, kept at least a tenth of the bracket from
    either end). A non-finite value counts as too long a step. Where the
    decrease is lost in rounding, a trial whose value is within ``noise *
    |f0|`` of ``f0`` and that meets the curvature condition is accepted
    (Hager and Zhang's approximate Wolfe conditions). A direction that does not
    descend (``d0 >= 0`` or not a number) is refused without an evaluation.

    Returns
    -------
    t : float or None
        The step; ``None`` if no trial decreased the objective within
        ``max_evals`` evaluations. When the evaluations run out on a trial that
        decreases the objective but misses the curvature condition, the best
        such trial is returned.
    value, payload :
        ``phi``'s at ``t`` (``None`` when ``t`` is).
    n_evals : int
        Evaluations made.

    Examples
    --------
    >>> from sksmooth._solvers import wolfe_line_search
    >>> phi = lambda t: ((t - 3.0) ** 2, 2 * (t - 3.0), None)
    >>> t, value, _, n = wolfe_line_search(phi, 9.0, -6.0, c2=0.1)
    >>> float(t), n  # t = 1 and 4 bracket the minimum; the cubic finds it
    (3.0, 3)
    """
    if not d0 < 0:  # no decrease to find along this line
        return None, None, None, 0
    best = [None, None, None]  # the lowest trial below f0 + c1 t d0

    def trial(t):
        value, slope, payload = phi(t)
        if not (math.isfinite(value) and math.isfinite(slope)):
            value, slope = math.inf, math.inf
        armijo = value <= f0 + c1 * t * d0
        if armijo and (best[1] is None or value < best[1]):
            best[:] = [t, value, payload]
        return value, slope, payload, armijo

    lo = (0.0, f0, d0)
    t, n_evals = step, 0
    hi = None
    while n_evals < max_evals:
        if hi is not None:  # zoom: a trial inside the bracket [lo, hi]
            a, b = lo[0], hi[0]
            guess = None
            if math.isfinite(hi[1]):
                guess = _cubic_minimiser(*lo, *hi)
            width = abs(b - a)
            if guess is None or not (
                min(a, b) + 0.1 * width <= guess <= max(a, b) - 0.1 * width
            ):
                guess = 0.5 * (a + b)
            t = guess
        value, slope, payload, armijo = trial(t)
        n_evals += 1
        if abs(slope) <= -c2 * d0 and value <= f0 + noise * abs(f0):
            return t, value, payload, n_evals
        if not armijo or value >= lo[1]:
            hi = (t, value, slope)
            continue
        if abs(slope) <= -c2 * d0:
            return t, value, payload, n_evals
        if hi is None:
            if slope >= 0:
                hi = lo
                lo = (t, value, slope)
            else:
                lo = (t, value, slope)
                t *= 4.0  # still descending: a longer step
        else:
            if slope * (hi[0] - lo[0]) >= 0:
                hi = lo
            lo = (t, value, slope)
    return best[0], best[1], best[2], n_evals
