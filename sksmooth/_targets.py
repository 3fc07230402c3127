"""Labels to soft targets: label smoothing and soft-target validation.

Only numpy lives here. A *soft-target matrix* ``Y`` has shape ``(n_samples, K)``,
``K >= 2``; row ``i`` is a probability distribution over the classes ``0..K-1``
(non-negative, summing to one).
"""

from numbers import Integral, Real

import numpy as np

SMOOTHING_METHODS = ("uniform", "off_target")


def max_epsilon(n_classes: int, method: str) -> float:
    """Smallest epsilon that no longer leaves the true class the strict maximum.

    Valid values of epsilon are ``0 <= epsilon < max_epsilon(n_classes, method)``.

    Parameters
    ----------
    n_classes : int
        Number of classes ``K >= 2``.
    method : {"uniform", "off_target"}
        The smoothing method.

    Returns
    -------
    bound : float
        ``1`` for ``"uniform"`` (true class ``1 - eps + eps/K`` against ``eps/K``);
        ``(K - 1) / K`` for ``"off_target"`` (``1 - eps`` against ``eps/(K-1)``).

    Examples
    --------
    >>> from sksmooth._targets import max_epsilon
    >>> max_epsilon(3, "uniform"), max_epsilon(4, "off_target")
    (1.0, 0.75)
    """
    _check_method(method)
    if method == "uniform":
        return 1.0
    return (n_classes - 1) / n_classes


def _check_method(method) -> None:
    if not isinstance(method, str) or method not in SMOOTHING_METHODS:
        raise ValueError(
            f"method must be one of {list(SMOOTHING_METHODS)}, got {method!r}."
        )


def check_epsilon(epsilon, n_classes: int, method: str) -> float:
    """Validate ``epsilon`` for ``n_classes`` classes and ``method``; return it.

    Raises ``TypeError`` for a non-real value and ``ValueError`` for a negative,
    non-finite or too large one; the message states the largest allowed value.
    """
    _check_method(method)
    if isinstance(epsilon, bool) or not isinstance(epsilon, Real):
        raise TypeError(
            f"epsilon must be a real number in [0, 1), got {type(epsilon).__name__}."
        )
    epsilon = float(epsilon)
    bound = max_epsilon(n_classes, method)
    if not np.isfinite(epsilon) or epsilon < 0 or epsilon >= bound:
        raise ValueError(
            f"epsilon={epsilon!r} is out of range for method={method!r} with "
            f"{n_classes} classes: the true class must keep the largest target "
            f"probability, so epsilon must satisfy 0 <= epsilon < {bound:.6g}."
        )
    return epsilon


def smooth_labels(
    y,
    *,
    epsilon: float = 0.1,
    method: str = "uniform",
    n_classes: int | None = None,
) -> np.ndarray:
    """Turn integer class codes into a label-smoothed soft-target matrix.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Integer class codes in ``0..n_classes-1`` (for arbitrary labels, encode
        them first, e.g. with :class:`~sklearn.preprocessing.LabelEncoder`).
    epsilon : float, default=0.1
        Smoothing strength. ``0`` gives the exact one-hot matrix. It must leave
        the true class the strict maximum of its row: ``epsilon < 1`` for
        ``"uniform"`` and ``epsilon < (K-1)/K`` for ``"off_target"``.
    method : {"uniform", "off_target"}, default="uniform"
        ``"uniform"``: ``(1 - epsilon) * onehot + epsilon / K``, the form of
        PyTorch's and Keras's ``label_smoothing``.
        ``"off_target"``: ``1 - epsilon`` on the true class and
        ``epsilon / (K - 1)`` on each other class.
    n_classes : int, default=None
        Number of classes ``K``. Defaults to ``max(y) + 1``. Must be at least 2.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_classes), dtype float64
        Soft targets; every row is non-negative and sums to one.

    Raises
    ------
    ValueError
        If ``y`` holds anything but integer codes in range, if fewer than two
        classes are asked for, if ``method`` is unknown, or if ``epsilon`` is
        outside its allowed range (the message gives the bound).

    Examples
    --------
    >>> from sksmooth import smooth_labels
    >>> smooth_labels([0, 2], epsilon=0.3)
    array([[0.8, 0.1, 0.1],
           [0.1, 0.1, 0.8]])
    >>> smooth_labels([0, 2], epsilon=0.3, method="off_target")
    array([[0.7 , 0.15, 0.15],
           [0.15, 0.15, 0.7 ]])
    """
    codes = _check_codes(y, n_classes)
    n_classes = int(codes.max()) + 1 if n_classes is None else int(n_classes)
    epsilon = check_epsilon(epsilon, n_classes, method)

    if method == "uniform":
        off_value = epsilon / n_classes
        on_value = 1.0 - epsilon + off_value
    else:
        off_value = epsilon / (n_classes - 1)
        on_value = 1.0 - epsilon

    Y = np.full((codes.shape[0], n_classes), off_value)
    Y[np.arange(codes.shape[0]), codes] = on_value
    return Y


def _check_codes(y, n_classes) -> np.ndarray:
    """Validate integer class codes (and ``n_classes``) for :func:`smooth_labels`."""
    codes = np.asarray(y)
    if codes.ndim != 1:
        raise ValueError(
            f"y must be a 1-D array of integer class codes, got shape {codes.shape}."
        )
    if codes.shape[0] == 0:
        raise ValueError("y is empty: smooth_labels needs at least one label.")
    # Integral floats (e.g. labels read as 0.0, 1.0) are codes too.
    if codes.dtype.kind == "f" and np.all(np.isfinite(codes) & (codes % 1 == 0)):
        codes = codes.astype(np.intp)
    if codes.dtype.kind not in "iu":
        raise ValueError(
            "y must hold integer class codes 0..K-1, got dtype "
            f"{codes.dtype}; encode labels first, e.g. with "
            "sklearn.preprocessing.LabelEncoder."
        )
    if codes.min() < 0:
        raise ValueError(f"y must hold class codes >= 0, got {codes.min()}.")
    if n_classes is not None:
        if isinstance(n_classes, bool) or not isinstance(n_classes, Integral):
            raise TypeError(
                f"n_classes must be an int, got {type(n_classes).__name__}."
            )
        if n_classes < 2:
            raise ValueError(f"n_classes must be at least 2, got {n_classes}.")
        if codes.max() >= n_classes:
            raise ValueError(
                f"y holds the code {codes.max()}, but n_classes={n_classes}: codes "
                "must lie in 0..n_classes-1."
            )
    elif codes.max() < 1:
        raise ValueError(
            "y holds only the code 0, so n_classes would be 1; label smoothing "
            "needs at least 2 classes (pass n_classes)."
        )
    return codes.astype(np.intp, copy=False)


def check_soft_targets(Y: np.ndarray) -> None:
    """Check that a 2-D float array is a valid soft-target matrix.

    ``Y`` must already be a finite float array of shape ``(n_samples, K)`` (as
    :func:`sklearn.utils.check_array` returns it). Raises ``ValueError`` if
    ``K < 2``, if an entry is negative, or if a row does not sum to one within
    ``sqrt(machine epsilon)`` of ``Y``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._targets import check_soft_targets
    >>> check_soft_targets(np.array([[0.9, 0.1], [0.2, 0.8]]))
    >>> check_soft_targets(np.array([[0.9, 0.2]]))
    Traceback (most recent call last):
    ...
    ValueError: Soft targets y must have rows that sum to one; ...
    """
    if Y.ndim != 2 or Y.shape[1] < 2:
        raise ValueError(
            "Soft targets y must have shape (n_samples, n_classes) with at least "
            f"2 columns, got shape {Y.shape}. Pass 1-D labels for hard targets."
        )
    if np.any(Y < 0):
        row = int(np.argwhere(Y < 0)[0, 0])
        raise ValueError(
            f"Soft targets y must be non-negative; row {row} holds {Y[row].min()!r}."
        )
    row_sums = Y.sum(axis=1)
    tolerance = np.sqrt(np.finfo(Y.dtype).eps)
    bad = np.abs(row_sums - 1.0) > tolerance
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            "Soft targets y must have rows that sum to one; row "
            f"{row} sums to {row_sums[row]!r}. Normalise them, e.g. "
            "Y / Y.sum(axis=1, keepdims=True)."
        )


def weighted_target_block(targets, n_classes: int, sample_weight, dtype) -> np.ndarray:
    """The ``(n_classes, n_samples)`` block ``w_i * Y_ik``, rows of ``Y`` renormalised.

    This is the layout the loss kernels want (see ``sksmooth._loss``): class
    ``k`` is row ``k``, so reductions over classes run along the long axis.

    Parameters
    ----------
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Integer codes ``0..n_classes-1`` (one-hot targets, never materialised as
        an ``(n, K)`` matrix) or a validated soft-target matrix.
    n_classes : int
        Number of classes ``K``.
    sample_weight : ndarray of shape (n_samples,) or None
        Raw sample weights; ``None`` means all ones.
    dtype : numpy dtype
        dtype of the block.

    Returns
    -------
    block : ndarray of shape (n_classes, n_samples), C-contiguous
        Column ``i`` sums to ``w_i`` up to rounding: dividing soft rows by their
        sums makes the loss exactly invariant to a per-sample shift of the logits.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._targets import weighted_target_block
    >>> weighted_target_block(np.array([1, 0]), 2, np.array([2.0, 1.0]), np.float64)
    array([[0., 1.],
           [2., 0.]])
    """
    n_samples = targets.shape[0]
    weights = (
        np.ones(n_samples, dtype=dtype) if sample_weight is None else sample_weight
    )
    block = np.zeros((n_classes, n_samples), dtype=dtype)
    if targets.ndim == 1:
        block[targets, np.arange(n_samples)] = weights
    else:
        row_scale = np.divide(weights, targets.sum(axis=1), dtype=dtype)
        np.multiply(targets.T, row_scale, out=block)
    return block
