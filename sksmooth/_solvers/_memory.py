"""The curvature memory of L-BFGS, kept outside any one run.

:class:`CurvatureMemory` holds the last curvature pairs ``(s, y)``, an
optional initial inverse Hessian, and applies the L-BFGS inverse-Hessian
approximation by the two-loop recursion. :func:`sksmooth._solvers.carried_lbfgs`
takes it from its caller and leaves it filled for the next problem.

The recursion runs vectorised: its two loops are a back and a forward
substitution with the triangle of inner products ``s_i . y_j`` (kept up to
date as pairs come and go, one product per new pair), so an application is a
few products with the ``(m, n)`` stacks of the pairs instead of ``4 m``
Python-level vector operations. The arithmetic is the loops', summed in
another order.
"""

import math

import numpy as np
from scipy.linalg.lapack import dtrtrs


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

    The two loops of the recursion (Nocedal and Wright, Algorithm 7.4) are
    triangular systems: with ``U[i, j] = s_i . y_j`` for ``i <= j`` (so
    ``U[i, i] = 1 / rho_i``), the first loop's coefficients solve ``U alpha =
    S g`` and the second's corrections ``c = alpha - beta`` solve ``U^T c = D
    alpha - Y r0`` (``D`` the diagonal of ``U``, ``r0 = gamma H0 q``, ``q = g -
    Y^T alpha``); then ``H g = r0 + S^T c``.

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
        self.gamma = 1.0
        self._count = 0  # pairs held, oldest first in the rows below
        self._S = self._Y = None  # (size, n) stacks of s and y, made at the first
        self._rho = np.zeros(self.size)  # 1 / s.y
        self._U = np.zeros((self.size, self.size))  # U[i, j] = s_i . y_j, i <= j

    def __len__(self) -> int:
        return self._count

    @property
    def pairs(self) -> list:
        """The pairs ``(s, y, 1 / s.y)``, oldest first (views, valid until the
        memory next changes)."""
        m = self._count
        if not m:
            return []
        return list(zip(self._S[:m], self._Y[:m], self._rho[:m], strict=True))

    def add(self, s: np.ndarray, y: np.ndarray, *, rescale: bool = True) -> bool:
        """Keep the pair if its curvature ``s.y`` is clearly positive; with
        ``rescale``, scale the initial matrix by it (see :meth:`rescale`)."""
        sy = float(s @ y)
        # |s| |y| as np.linalg.norm computes each, without its wrapper
        norms = math.sqrt(float(s @ s)) * math.sqrt(float(y @ y))
        if not math.isfinite(sy) or sy <= 1e-10 * norms:
            return False
        self._append(s, y, 1.0 / sy)
        if rescale:
            self.rescale()
        return True

    def _append(self, s, y, rho) -> None:
        """The pair as the newest (the oldest dropped when full); the new
        column of ``U`` is ``S y``."""
        if self._S is None or self._S.shape[1] != s.shape[0]:
            self._S = np.empty((self.size, s.shape[0]))
            self._Y = np.empty((self.size, s.shape[0]))
            self._count = 0
        m = self._count
        if m == self.size:  # drop the oldest: every row and U's block move up
            self._S[:-1], self._Y[:-1] = self._S[1:], self._Y[1:]
            self._rho[:-1] = self._rho[1:]
            self._U[:-1, :-1] = self._U[1:, 1:]
            m -= 1
        self._S[m], self._Y[m], self._rho[m] = s, y, rho
        self._U[: m + 1, m] = self._S[: m + 1] @ self._Y[m]
        self._U[m, m] = 1.0 / rho  # exactly the s.y the pair was kept with
        self._count = m + 1

    def rescale(self) -> None:
        """``gamma`` from the newest pair (one product with ``H0``)."""
        if self._count:
            y, rho = self._Y[self._count - 1], self._rho[self._count - 1]
            self.gamma = 1.0 / (rho * float(y @ self._initial(y)))
        else:
            self.gamma = 1.0

    def clear(self) -> None:
        self._count = 0
        self.gamma = 1.0

    def snapshot(self, n_pairs: int):
        """The newest ``n_pairs`` pairs (copies) with the penalty they belong to."""
        m = self._count
        first = m - min(n_pairs, m)
        pairs = [
            (self._S[i].copy(), self._Y[i].copy(), self._rho[i])
            for i in range(first, m)
        ]
        return self.penalty, pairs

    def restore(self, snapshots) -> None:
        """Replace the pairs by those of ``snapshots`` (oldest first), each
        moved to this memory's penalty: exact when their data terms are the
        same (see the class docstring); a pair whose curvature is no longer
        clearly positive is dropped."""
        self.clear()
        for penalty, pairs in snapshots:
            shift = self.penalty - penalty
            for s, y, rho in pairs:
                if shift == 0:  # already a pair of this problem: kept as it is
                    self._append(s, y, rho)
                else:
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
        """``H g`` by the two-loop recursion (Nocedal and Wright, Algorithm 7.4),
        as two triangular solves; for ``g`` of shape ``(k, n)``, ``H`` times
        each row, in one pass."""
        g = np.asarray(g, dtype=np.float64)
        m = self._count
        if not m:
            r = self._initial(g)
            if self.initial_inverse is None:
                r *= self.gamma
            return r
        S, Y, U = self._S[:m], self._Y[:m], np.asfortranarray(self._U[:m, :m])
        columns = g.T  # (n,) or (n, k): each right-hand side a column
        # LAPACK's substitution itself: scipy's solve_triangular wrapper costs
        # more than the solve at this size
        alpha, _ = dtrtrs(U, S @ columns)
        r = self._initial(g - (Y.T @ alpha).T)
        r *= self.gamma
        diagonal = np.diag(U) if alpha.ndim == 1 else np.diag(U)[:, None]
        correction, _ = dtrtrs(U, diagonal * alpha - Y @ r.T, trans=1)
        r += (S.T @ correction).T
        return r
