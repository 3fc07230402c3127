"""The one seam to optional array backends: today, Dask.

Every estimator asks here whether ``X`` is a dask collection
(:func:`is_dask_collection`, without importing dask) and reaches the Dask code
only through :func:`dask_api`, the one place in sksmooth that imports
:mod:`sksmooth._dask`, lazily: ``import sksmooth`` never imports dask. The
decorators :func:`blockwise_on_dask` and :func:`score_with_dask` dispatch
predictions and scores; a learner's ``fit`` calls
``dask_api().summed_objective`` with how to build its loss and runs its own
solver on what comes back.

A new backend (say, another chunked-array library) goes here: a predicate
like :func:`is_dask_collection`, a lazily imported package with the functions
of :mod:`sksmooth._dask._api`, and the branch in the decorators.
"""

import functools
from types import ModuleType

from sklearn.base import ClassifierMixin

from sksmooth._validation import scored_labels


def dask_api() -> ModuleType:
    """:mod:`sksmooth._dask._api`, imported on first use.

    Only a dask collection leads here, so dask is installed by then; importing
    it lazily keeps ``import sksmooth`` free of it (an optional extra).
    """
    import sksmooth._dask._api as api

    return api


def accepts_dask(estimator) -> bool:
    """Whether ``estimator.fit`` fits natively on dask arrays, block by block.

    A learner declares it with the class attribute ``__sksmooth_dask__ = True``
    (:class:`~sksmooth.SoftmaxRegression` and
    :class:`~sksmooth.SoftMLPClassifier` do).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sksmooth import SoftmaxRegression
    >>> from sksmooth._backend import accepts_dask
    >>> accepts_dask(SoftmaxRegression()), accepts_dask(LogisticRegression())
    (True, False)
    """
    return getattr(estimator, "__sksmooth_dask__", False) is True


def is_dask_collection(X) -> bool:
    """Whether ``X`` is a dask collection, checked without importing dask.

    Dask is an optional extra: ``sksmooth._dask`` is imported only when this
    returns ``True``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._backend import is_dask_collection
    >>> is_dask_collection(np.ones(3))
    False
    """
    return type(X).__module__.partition(".")[0] in ("dask", "dask_expr")


def refuse_verified_on_dask(verified, owner: str, parameter="verified") -> None:
    """Raise if checked rows (``parameter``) come with a fit on dask arrays:
    the distributed objective has no per-row mask yet."""
    if verified is not None:
        raise ValueError(
            f"{owner}.fit cannot take {parameter} on dask arrays yet; fit in "
            f"memory (X.compute()), or leave {parameter}=None."
        )


def blockwise_on_dask(method):
    """Decorate ``method(self, X)`` to run lazily, block by block, on dask ``X``.

    On a dask array the decorated method returns a dask array computed by
    ``map_blocks`` (see :func:`sksmooth._dask._api.predict_on_dask`); on anything
    else it runs as written.
    """

    @functools.wraps(method)
    def run(self, X):
        if is_dask_collection(X):
            return dask_api().predict_on_dask(self, method.__name__, X)
        return method(self, X)

    return run


def score_with_dask(self, X, y, sample_weight=None):
    """Mean accuracy on ``X`` and ``y`` (lazy reductions on dask arrays).

    scikit-learn's ``ClassifierMixin.score``; soft targets are scored against
    each row's most probable class (the first of tied ones). When ``X`` is a
    dask array the predictions and the (weighted) mean are reduced on the
    workers and only the score comes back. For a proper score of soft targets
    use :func:`sksmooth.metrics.neg_soft_log_loss` as the scorer.

    Parameters
    ----------
    X : {array-like, sparse matrix, dask array} of shape (n_samples, n_features)
        The samples.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        True labels, or soft targets whose columns follow ``classes_`` (a
        DataFrame's columns name the classes).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        The (weighted) fraction of correctly predicted samples.
    """
    if is_dask_collection(X):
        return dask_api().score_on_dask(self, X, y, sample_weight)
    labels = scored_labels(y, self.classes_) if hasattr(self, "classes_") else y
    return ClassifierMixin.score(self, X, labels, sample_weight=sample_weight)
