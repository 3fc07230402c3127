"""The curvature memory of L-BFGS, kept outside any one run.

:class:`CurvatureMemory` holds the last curvature pairs ``(s, y)``, an
optional initial inverse Hessian, and applies the L-BFGS inverse-Hessian
approximation by the two-loop recursion. :func:`sksmooth._solvers.carried_lbfgs`
takes it from its caller and leaves it filled for the next problem.
"""

from collections import deque

import numpy as np


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
    >>> from sksmooth._solvers import CurvatureMemory
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
