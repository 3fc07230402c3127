"""The summed objective of a fit over row blocks: one task per block, where it
lives, and a tree of sums (see the package docstring)."""

import itertools
import uuid

import dask
import numpy as np
import scipy.sparse as sp
from dask import delayed
from sklearn.utils import check_array

from sksmooth._dask._blocks import row_blocks
from sksmooth._validation import check_soft_targets

#: Number of partial sums added by one task of the tree across workers (and
#: at most this many come back to the client).
SPLIT_EVERY = 8


#: Largest total size of the parameter copies embedded in one evaluation's
#: block tasks (``n_blocks * n_params * 8`` bytes); above it the parameters
#: travel as one task of their own, which the workers fetch from each other.
INLINE_PARAMETER_BYTES = 4 * 2**20


class BlockObjective:
    """Summed weighted loss and gradient of one row block, built once per fit.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_block, n_features)
    targets : ndarray of shape (n_block,) or (n_block, n_classes)
        Integer codes or soft targets (validated here).
    sample_weight : ndarray of shape (n_block,) or None
    make_loss : callable
        ``make_loss(X, targets, sample_weight)`` returns the learner's in-memory
        objective with its penalty set to zero.
    dtype : numpy dtype
        float32 or float64.
    n_params : int
        Length of the parameter vector.

    Attributes
    ----------
    weight_sum : float
        The block's total weight (0 for an empty or all-zero-weight block, which
        then contributes nothing).
    """

    def __init__(self, X, targets, sample_weight, *, make_loss, dtype, n_params):
        X = check_array(
            X, accept_sparse="csr", dtype=dtype, ensure_min_samples=0, input_name="X"
        )
        if targets.ndim == 2:
            targets = check_array(
                targets, dtype=dtype, ensure_min_samples=0, input_name="y"
            )
            if targets.shape[0]:
                check_soft_targets(targets)
        if sample_weight is not None:
            sample_weight = check_array(
                sample_weight,
                ensure_2d=False,
                dtype=dtype,
                ensure_min_samples=0,
                input_name="sample_weight",
            )
            if np.any(sample_weight < 0):
                raise ValueError(
                    "sample_weight must be non-negative, got the value "
                    f"{sample_weight.min()}."
                )
        self.n_params = n_params
        self.n_samples = X.shape[0]
        self.weight_sum = (
            float(self.n_samples)
            if sample_weight is None
            else float(sample_weight.sum(dtype=np.float64))
        )
        # A block without weight adds nothing; its head would divide by zero.
        self.loss = (
            make_loss(X, targets, sample_weight) if self.weight_sum > 0 else None
        )

    def __call__(self, coef):
        """``(sum_i w_i H_i, its gradient)`` at ``coef``, unscaled, no penalty."""
        if self.loss is None:
            return 0.0, np.zeros(self.n_params)
        value, grad = self.loss.loss_gradient(coef)
        # The in-memory objective divides by the block's weight sum: undo it.
        grad *= self.loss.head.weight_sum
        return value * self.loss.head.weight_sum, grad

    def __sizeof__(self):
        # dask's memory accounting asks sys.getsizeof: count the arrays held.
        if self.loss is None:
            return 64
        held = [self.loss.X, *vars(self.loss.head).values(), *vars(self.loss).values()]
        seen, total = set(), 0
        for value in held:
            if isinstance(value, list):
                arrays = value
            elif sp.issparse(value):
                arrays = [value.data, value.indices, value.indptr]
            else:
                arrays = [value]
            for array in arrays:
                if isinstance(array, np.ndarray) and id(array) not in seen:
                    seen.add(id(array))
                    total += array.nbytes
        return total + 64


def _block_stats(objective):
    return objective.weight_sum, objective.n_samples


def _evaluate_block(objective, coef):
    return objective(coef)


def _sum_parts(*parts):
    value = sum(part[0] for part in parts)
    grad = parts[0][1].copy()
    for part in parts[1:]:
        grad += part[1]
    return value, grad


def _distributed_client():
    """The default ``distributed.Client``, or ``None`` without one.

    A local scheduler chosen with ``dask.config.set(scheduler=...)`` (e.g.
    ``"threads"`` or ``"sync"``) wins over a running client, as in dask itself.
    """
    if dask.config.get("scheduler", None) not in (None, "dask.distributed"):
        return None
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


class DaskObjective:
    """Summed data loss and gradient over the row blocks of dask arrays.

    Building it persists one :class:`BlockObjective` per row block (on the
    workers of the default ``distributed.Client``, else in this process); each
    call is one graph submission that returns ``(sum_i w_i H_i, gradient)``.

    Attributes
    ----------
    weight_sum : float
        Total weight of the samples.
    n_samples : int
    n_evaluations : int
        Number of calls so far.
    """

    def __init__(self, X, y, sample_weight, *, make_loss, dtype, n_params):
        self._scheduler = None if _distributed_client() is not None else "threads"
        self._name = f"sksmooth-{uuid.uuid4().hex[:12]}"
        self.n_params = n_params
        weights = (
            row_blocks(sample_weight)
            if sample_weight is not None
            else itertools.repeat(None)
        )
        build = delayed(BlockObjective, pure=True)
        blocks = [
            build(
                X_block,
                y_block,
                w_block,
                make_loss=make_loss,
                dtype=dtype,
                n_params=n_params,
                dask_key_name=f"{self._name}-block-{i}",
            )
            for i, (X_block, y_block, w_block) in enumerate(
                zip(row_blocks(X), row_blocks(y), weights, strict=False)
            )
        ]
        self._blocks = dask.persist(*blocks, scheduler=self._scheduler)
        stats = dask.compute(
            *[delayed(_block_stats)(block) for block in self._blocks],
            scheduler=self._scheduler,
        )
        self.weight_sum = float(sum(weight for weight, _ in stats))
        self.n_samples = int(sum(n for _, n in stats))
        self.n_evaluations = 0
        self._groups = self._blocks_by_worker()

    def _blocks_by_worker(self):
        """Block indices grouped by the worker that holds them (asked once).

        Summing each group where it lives moves no block result between
        workers. Without a cluster, one group. Should a worker be lost later,
        its blocks are rebuilt elsewhere and a group's sum then fetches some
        results: slower, as correct.
        """
        if self._scheduler is not None or not self._blocks:
            return [list(range(len(self._blocks)))]
        from distributed import futures_of

        holders = _distributed_client().who_has(futures_of(list(self._blocks)))
        groups = {}
        for i, block in enumerate(self._blocks):
            where = sorted(holders.get(block.key, ()))
            groups.setdefault(where[0] if where else None, []).append(i)
        return list(groups.values())

    def __call__(self, coef):
        self.n_evaluations += 1
        tag = f"{self._name}-{self.n_evaluations}"
        coef = np.array(coef, dtype=np.float64)  # a copy: L-BFGS reuses its own
        if coef.nbytes * len(self._blocks) > INLINE_PARAMETER_BYTES:
            coef = delayed(coef, name=f"{tag}-coef")
        partials = []
        for g, indices in enumerate(self._groups):
            parts = [
                delayed(_evaluate_block, pure=True)(
                    self._blocks[i], coef, dask_key_name=f"{tag}-eval-{i}"
                )
                for i in indices
            ]
            partials.append(
                delayed(_sum_parts, pure=True)(*parts, dask_key_name=f"{tag}-sum-{g}")
            )
        level = 0
        while len(partials) > SPLIT_EVERY:
            partials = [
                delayed(_sum_parts, pure=True)(
                    *partials[start : start + SPLIT_EVERY],
                    dask_key_name=f"{tag}-tree-{level}-{start}",
                )
                for start in range(0, len(partials), SPLIT_EVERY)
            ]
            level += 1
        value, grad = _sum_parts(*dask.compute(*partials, scheduler=self._scheduler))
        return float(value), np.asarray(grad, dtype=np.float64)

    def release(self):
        """Drop the persisted blocks (on the workers or here)."""
        self._blocks = ()
