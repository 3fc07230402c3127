"""L-BFGS whose curvature memory outlives one problem: the solver of a path.

A path of problems that share one Hessian (the tilts ``f(x) - e * <b, x>`` of
one convex function, see ``sksmooth._smoothing_path``) can share their
curvature pairs ``(s, y)``: ``y`` is a difference of gradients, in which the
linear tilt cancels, so a pair collected on one problem is an exact secant of
every other. :func:`carried_lbfgs` therefore takes its memory, a
:class:`CurvatureMemory`, from the caller and leaves it filled for the next
problem; scipy's L-BFGS-B, which starts every run with an empty memory, cannot.

- :class:`CurvatureMemory`: the pairs, an optional initial inverse Hessian and
  the two-loop recursion.
- :func:`wolfe_line_search`: a strong-Wolfe line search (Nocedal and Wright,
  Algorithms 3.5 and 3.6, cubic interpolation), one evaluation per trial.
- :func:`carried_lbfgs`: the iterations, stopping as :func:`sksmooth._optimize.lbfgs`
  does (every gradient component at most ``tol``).

Nothing here knows of losses, estimators or data.
"""

from collections import deque
from collections.abc import Callable

import numpy as np
from scipy.optimize import OptimizeResult

from sksmooth._blas_threads import solver_blas_threads

MESSAGES = {
    0: "max |gradient| <= tol",
    1: "max_iter reached",
    2: "the line search found no decrease (rounding or non-finite values)",
    3: "the relative decrease of the objective fell below ftol",
}


class CurvatureMemory:
    """The last ``size`` curvature pairs of L-BFGS and its two-loop recursion.

    ``apply(g)`` returns ``H g`` for the L-BFGS inverse-Hessian approximation
    ``H`` built from the pairs on the initial matrix ``gamma * H0``:
    ``H0 = initial_inverse`` (a callable, e.g. an inverse Hessian known in
    closed form at one point) or the identity, and ``gamma = s.y / (y.H0.y)``
    of the newest pair, the scaling L-BFGS uses (Nocedal and Wright, 7.20).

    Problems that differ by an L2 penalty ``l2 / 2 ||P x||^2`` (``P`` a 0/1
    mask) share the pairs too, once each is moved to the problem's penalty:
    ``y = y_data + l2 P s`` with ``y_data`` the same for every one of them.
    :meth:`snapshot` keeps pairs with their penalty; :meth:`restore` and
    :meth:`set_penalty` move them.

    Parameters
    ----------
    size : int
        Largest number of pairs kept; the oldest is dropped first.
    initial_inverse : callable, default=None
        ``initial_inverse(v) -> H0 v``, symmetric positive definite; for ``v``
        of shape ``(m, n)``, ``H0`` times each row.
    penalty_mask : ndarray of shape (n_params,), default=None
        ``P``'s diagonal, to move pairs between penalties.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._path_solver import CurvatureMemory
    >>> A = np.diag([1.0, 4.0])
    >>> memory = CurvatureMemory(5)
    >>> for s in np.eye(2):
    ...     _ = memory.add(s, A @ s)
    >>> np.round(memory.apply(np.array([1.0, 4.0])), 12)  # A^-1 [1, 4]
    array([1., 1.])
    """

    def __init__(self, size: int, initial_inverse=None, penalty_mask=None):
        self.size = int(size)
        self.initial_inverse = initial_inverse
        self.penalty_mask = penalty_mask
        self.penalty = 0.0  # the l2 of the problem the pairs' y belong to
        self.pairs = deque(maxlen=self.size)  # (s, y, 1 / s.y)
        self.gamma = 1.0

    def __len__(self) -> int:
        return len(self.pairs)

    def add(self, s: np.ndarray, y: np.ndarray, *, rescale: bool = True) -> bool:
        """Keep the pair if its curvature ``s.y`` is clearly positive; with
        ``rescale``, scale the initial matrix by it (see :meth:`rescale`)."""
        sy = float(s @ y)
        if not np.isfinite(sy) or sy <= 1e-10 * np.linalg.norm(s) * np.linalg.norm(y):
            return False
        self.pairs.append((s.copy(), y.copy(), 1.0 / sy))
        if rescale:
            self.rescale()
        return True

    def rescale(self) -> None:
        """``gamma`` from the newest pair (one product with ``H0``)."""
        if self.pairs:
            s, y, rho = self.pairs[-1]
            self.gamma = 1.0 / (rho * float(y @ self._initial(y)))
        else:
            self.gamma = 1.0

    def clear(self) -> None:
        self.pairs.clear()
        self.gamma = 1.0

    def snapshot(self, n_pairs: int):
        """The newest ``n_pairs`` pairs with the penalty they belong to."""
        pairs = list(self.pairs)
        return self.penalty, pairs[len(pairs) - min(n_pairs, len(pairs)) :]

    def restore(self, snapshots) -> None:
        """Replace the pairs by those of ``snapshots`` (oldest first), each
        moved to this memory's penalty: exact when their data terms are the
        same (see the class docstring); a pair whose curvature is no longer
        clearly positive is dropped."""
        self.clear()
        for penalty, pairs in snapshots:
            shift = self.penalty - penalty
            for pair in pairs:
                if shift == 0:  # already a pair of this problem: kept as it is
                    self.pairs.append(pair)
                else:
                    s, y, _ = pair
                    moved = y + shift * (self.penalty_mask * s)
                    self.add(s, moved, rescale=False)
        self.rescale()

    def set_penalty(self, penalty: float, initial_inverse=None) -> None:
        """Move every pair to the problem with L2 strength ``penalty``; the
        initial matrix, which depends on it, becomes ``initial_inverse`` when
        given."""
        snapshot = self.snapshot(self.size)
        self.penalty = float(penalty)
        if initial_inverse is not None:
            self.initial_inverse = initial_inverse
        self.restore([snapshot])

    def _initial(self, v):
        return v.copy() if self.initial_inverse is None else self.initial_inverse(v)

    def apply(self, g: np.ndarray) -> np.ndarray:
        """``H g`` by the two-loop recursion (Nocedal and Wright, Algorithm 7.4);
        for ``g`` of shape ``(m, n)``, ``H`` times each row, in one pass."""
        q = np.array(g, dtype=np.float64)
        # scalars for one vector (cheaper), columns of coefficients for rows
        times = np.multiply if q.ndim == 1 else np.multiply.outer
        alphas = []
        for s, y, rho in reversed(self.pairs):
            alpha = rho * (q @ s)
            q -= times(alpha, y)
            alphas.append(alpha)
        r = self._initial(q)
        if self.pairs or self.initial_inverse is None:
            r *= self.gamma
        for (s, y, rho), alpha in zip(self.pairs, reversed(alphas), strict=True):
            beta = rho * (r @ y)
            r += times(alpha - beta, s)
        return r


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
    (Hager and Zhang's approximate Wolfe conditions).

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
    >>> from sksmooth._path_solver import wolfe_line_search
    >>> phi = lambda t: ((t - 3.0) ** 2, 2 * (t - 3.0), None)
    >>> t, value, _, n = wolfe_line_search(phi, 9.0, -6.0, c2=0.1)
    >>> float(t), n  # t = 1 and 4 bracket the minimum; the cubic finds it
    (3.0, 3)
    """
    best = [None, None, None]  # the lowest trial below f0 + c1 t d0

    def trial(t):
        value, slope, payload = phi(t)
        if not np.isfinite(value) or not np.isfinite(slope):
            value, slope = np.inf, np.inf
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
            if np.isfinite(hi[1]):
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


def carried_lbfgs(
    fun_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    memory: CurvatureMemory,
    *,
    max_iter: int,
    tol: float,
    start=None,
    ftol: float = 64 * np.finfo(float).eps,
    value_eps: float = float(np.finfo(np.float64).eps),
    verbose: int = 0,
    name: str = "estimator",
):
    """Minimise a smooth function by L-BFGS with a memory carried in and out.

    The direction is ``-memory.apply(g)``; each step's pair ``(s, y)`` is added
    to ``memory``, which the caller keeps for the next problem. The first step
    tries ``t = 1`` when the memory holds pairs or an initial inverse Hessian,
    else the length ``min(1, 1 / ||g||)`` (as L-BFGS-B starts); a direction
    that does not descend (rounding) clears the memory and takes the gradient.

    Stops when every gradient component is at most ``tol`` (``status`` 0), as
    :func:`sksmooth._optimize.lbfgs`, when the relative decrease of the
    objective falls below ``ftol`` (3, as L-BFGS-B's ``ftol``), after
    ``max_iter`` iterations (1), or when the line search finds no decrease (2).
    It does not warn: the caller, which knows what the problem is, does.

    Parameters
    ----------
    fun_and_grad : callable
        ``fun_and_grad(x) -> (value, gradient)`` on flat float64 vectors.
    x0 : ndarray of shape (n_params,)
    memory : CurvatureMemory
        Pairs of earlier problems with the same Hessian, or empty; filled.
    max_iter : int
    tol : float
    start : tuple of (float, ndarray), default=None
        ``fun_and_grad(x0)`` if the caller already has it (saves an evaluation).
    ftol : float, default=64 * machine epsilon
    value_eps : float, default=float64's machine epsilon
        Relative rounding error of the objective's value (float32's for an
        objective computed in float32): a change of the value below ``64 *
        value_eps`` is rounding, and the line search then goes by the slope.
    verbose : int, default=0
        If positive, print the objective after every iteration.
    name : str, default="estimator"
        Printed with the objective.

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        ``x``, ``fun``, ``jac``, ``nit``, ``nfev``, ``status``, ``success``
        (``status`` 0 or 3), ``message``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._path_solver import CurvatureMemory, carried_lbfgs
    >>> A = np.array([[3.0, 1.0], [1.0, 2.0]])
    >>> memory = CurvatureMemory(10)
    >>> first = carried_lbfgs(lambda x: (x @ A @ x / 2 - x.sum(), A @ x - 1),
    ...                       np.zeros(2), memory, max_iter=50, tol=1e-10)
    >>> second = carried_lbfgs(lambda x: (x @ A @ x / 2 - 2 * x.sum(), A @ x - 2),
    ...                        first.x, memory, max_iter=50, tol=1e-10)
    >>> bool(np.allclose(A @ second.x, 2)), second.nfev <= first.nfev
    (True, True)
    """
    x = np.array(x0, dtype=np.float64)
    value, grad = fun_and_grad(x) if start is None else start
    n_fev = 0 if start is not None else 1
    status, iteration = 1, 0
    with solver_blas_threads():
        while True:
            if not np.isfinite(value):
                status = 2
                break
            if np.max(np.abs(grad)) <= tol:
                status = 0
                break
            if iteration >= max_iter:
                break
            step = _lbfgs_step(fun_and_grad, x, value, grad, memory, 64 * value_eps)
            n_fev += step[-1]
            if step[0] is None:
                status = 2
                break
            new_x, new_value, new_grad, _ = step
            memory.add(new_x - x, new_grad - grad)
            decrease = (value - new_value) / max(abs(value), abs(new_value), 1.0)
            x, value, grad = new_x, new_value, new_grad
            iteration += 1
            if verbose:
                print(f"[{name}] iteration {iteration:4d}  loss {value:.10g}")
            if decrease <= ftol:
                status = 3 if np.max(np.abs(grad)) > tol else 0
                break
    return OptimizeResult(
        x=x,
        fun=value,
        jac=grad,
        nit=iteration,
        nfev=n_fev,
        status=status,
        success=status in (0, 3),
        message=MESSAGES[status],
    )


def _lbfgs_step(fun_and_grad, x, value, grad, memory, noise):
    """One L-BFGS step: ``(x, value, grad, n_evals)``, ``x`` None on failure.

    The gradient direction is the fallback when the quasi-Newton one is not a
    descent direction or its line search fails.
    """
    n_evals = 0
    for attempt in ("quasi-newton", "gradient"):
        if attempt == "gradient":
            memory.clear()
        direction = -memory.apply(grad)
        slope = float(grad @ direction)
        if not slope < 0:
            continue
        scaled = len(memory) or memory.initial_inverse is not None
        first = 1.0 if scaled else min(1.0, 1.0 / float(np.linalg.norm(direction)))

        def phi(t, direction=direction):
            point = x + t * direction
            trial_value, trial_grad = fun_and_grad(point)
            return trial_value, float(trial_grad @ direction), (point, trial_grad)

        t, new_value, payload, evals = wolfe_line_search(
            phi, value, slope, first, noise=noise
        )
        n_evals += evals
        if t is not None:
            return payload[0], new_value, payload[1], n_evals
    return None, None, None, n_evals
