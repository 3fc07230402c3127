"""Labels to soft targets: spread matrices, epsilon bounds, and the smoothing
plan every caller uses.

:func:`plan_smoothing` turns (method, classes, prior) into a
:class:`SmoothingPlan`, which checks epsilon against the method's bound and
smooths codes or soft targets; :func:`smooth_labels` (public), the learners'
``fit_path``, :class:`~sksmooth.LabelSmoothingClassifier`, the CV estimator
and the Dask path all go through it. Only numpy lives here.

A *soft-target matrix* ``Y`` has shape ``(n_samples, K)``, ``K >= 2``; row
``i`` is a probability distribution over the classes ``0..K-1``
(non-negative, summing to one).
"""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import has_fit_parameter

from sksmooth._validation import check_sample_weight

SMOOTHING_METHODS = ("uniform", "off_target", "prior")
# The method whose spread is counted on rows with a verified label.
COUNTED = "counted"


def spread_matrix(method, n_classes: int, *, prior=None, classes=None) -> np.ndarray:
    """The ``(K, K)`` matrix ``S`` of a smoothing method.

    Every method smooths a one-hot row of class ``k`` into
    ``(1 - epsilon) * onehot(k) + epsilon * S[k]``: row ``k`` of ``S`` says how
    the smoothing mass of a class-``k`` sample is spread.

    Parameters
    ----------
    method : {"uniform", "off_target", "prior"}, array-like of shape (K, K) \
            or callable
        ``"uniform"``: every row ``1/K``. ``"off_target"``: ``1/(K-1)`` off the
        diagonal, ``0`` on it. ``"prior"``: every row the class prior. An array
        is a class-similarity matrix (non-negative rows summing to one). A
        callable is called with the classes and returns such a matrix.
    n_classes : int
        Number of classes ``K``.
    prior : ndarray of shape (K,), default=None
        Class frequencies, needed by ``"prior"``.
    classes : ndarray of shape (K,), default=None
        Passed to a callable ``method``; ``arange(K)`` if not given.

    Returns
    -------
    S : ndarray of shape (K, K)

    Examples
    --------
    >>> from sksmooth.targets import spread_matrix
    >>> spread_matrix("off_target", 3)
    array([[0. , 0.5, 0.5],
           [0.5, 0. , 0.5],
           [0.5, 0.5, 0. ]])
    """
    if callable(method):
        method = method(np.arange(n_classes) if classes is None else classes)
    if isinstance(method, str):
        if method == "uniform":
            return np.full((n_classes, n_classes), 1.0 / n_classes)
        if method == "off_target":
            return (1.0 - np.eye(n_classes)) / (n_classes - 1)
        if method == "prior":
            if prior is None:
                raise ValueError("method='prior' needs the class frequencies.")
            return np.tile(np.asarray(prior, dtype=float), (n_classes, 1))
        raise ValueError(
            f"method must be one of {list(SMOOTHING_METHODS)} or a (n_classes, "
            f"n_classes) similarity matrix, got {method!r}."
        )
    return check_similarity_matrix(method, n_classes)


def check_similarity_matrix(S, n_classes: int) -> np.ndarray:
    """Validate a class-similarity matrix for ``n_classes`` classes; return it.

    Raises ``ValueError`` naming the problem: not numeric, wrong shape, NaN or
    infinite, negative entries, or rows that do not sum to one.
    """
    try:
        S = np.asarray(S, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"method must be one of {list(SMOOTHING_METHODS)} or a (n_classes, "
            f"n_classes) similarity matrix of numbers, got {S!r}."
        ) from None
    if S.shape != (n_classes, n_classes):
        raise ValueError(
            f"The similarity matrix given as method must have shape ({n_classes}, "
            f"{n_classes}) to match the {n_classes} classes, got shape {S.shape}."
        )
    if not np.all(np.isfinite(S)):
        raise ValueError("The similarity matrix given as method contains NaN or inf.")
    if np.any(S < 0):
        row, col = np.argwhere(S < 0)[0]
        raise ValueError(
            "The similarity matrix given as method must be non-negative; entry "
            f"[{row}, {col}] is {S[row, col]}."
        )
    row_sums = S.sum(axis=1)
    bad = np.abs(row_sums - 1.0) > np.sqrt(np.finfo(np.float64).eps)
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            "Each row of the similarity matrix given as method must sum to one; "
            f"row {row} sums to {row_sums[row]}."
        )
    return S


def epsilon_bounds(S: np.ndarray) -> np.ndarray:
    """Per class ``k``, the smallest epsilon at which ``k`` loses its row's maximum.

    The true class keeps ``1 - eps + eps * S[k, k]`` against ``eps * S[k, j]``,
    so ``eps < 1 / (1 + max(0, max_j S[k, j] - S[k, k]))`` (and always ``< 1``).

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.targets import epsilon_bounds, spread_matrix
    >>> epsilon_bounds(spread_matrix("off_target", 4))
    array([0.75, 0.75, 0.75, 0.75])
    """
    off_diagonal = np.where(np.eye(S.shape[0], dtype=bool), -np.inf, S)
    margin = np.maximum(off_diagonal.max(axis=1) - np.diag(S), 0.0)
    return 1.0 / (1.0 + margin)


def max_epsilon(n_classes: int, method, *, prior=None) -> float:
    """Smallest epsilon that no longer leaves every true class the strict maximum.

    Valid values of epsilon are ``0 <= epsilon < max_epsilon(n_classes, method)``.

    Parameters
    ----------
    n_classes : int
        Number of classes ``K >= 2``.
    method : {"uniform", "off_target", "prior"} or array-like of shape (K, K)
        The smoothing method (see :func:`spread_matrix`).
    prior : ndarray of shape (K,), default=None
        Class frequencies, for ``"prior"``.

    Returns
    -------
    bound : float
        ``1`` for ``"uniform"`` (true class ``1 - eps + eps/K`` against ``eps/K``);
        ``(K - 1) / K`` for ``"off_target"`` (``1 - eps`` against ``eps/(K-1)``);
        the smallest per-class bound of :func:`epsilon_bounds` otherwise.

    Examples
    --------
    >>> from sksmooth.targets import max_epsilon
    >>> max_epsilon(3, "uniform"), max_epsilon(4, "off_target")
    (1.0, 0.75)
    """
    return float(epsilon_bounds(spread_matrix(method, n_classes, prior=prior)).min())


def check_epsilon(epsilon, S: np.ndarray, method, class_names=None) -> float:
    """Validate ``epsilon`` against the spread matrix ``S`` of ``method``.

    Raises ``TypeError`` for a non-real value and ``ValueError`` for a negative,
    non-finite or too large one; the message states the largest allowed value
    and, when classes have different bounds, the first class to lose its
    maximum (named by ``class_names``, default its code).
    """
    if isinstance(epsilon, bool) or not isinstance(epsilon, Real):
        raise TypeError(
            f"epsilon must be a real number in [0, 1), got {type(epsilon).__name__}."
        )
    epsilon = float(epsilon)
    bounds = epsilon_bounds(S)
    bound = float(bounds.min())
    if np.isfinite(epsilon) and 0 <= epsilon < bound:
        return epsilon
    n_classes = S.shape[0]
    label = repr(method) if isinstance(method, str) else "<similarity matrix>"
    message = (
        f"epsilon={epsilon!r} is out of range for method={label} with "
        f"{n_classes} classes: the true class must keep the largest target "
        f"probability, so epsilon must satisfy 0 <= epsilon < {bound:.6g}."
    )
    if np.isfinite(epsilon) and epsilon >= 0 and not np.allclose(bounds, bound):
        names = np.arange(n_classes) if class_names is None else class_names
        names = np.asarray(names).tolist()  # plain Python values for the message
        k = int(np.argmin(bounds))
        rival = int(np.argmax(np.where(np.arange(n_classes) == k, -np.inf, S[k])))
        message += (
            f" Class {names[k]!r} is the first to lose it, to class {names[rival]!r}."
        )
    raise ValueError(message)


def class_prior(targets, n_classes: int, sample_weight=None) -> np.ndarray:
    """(Sample-weighted) class frequencies of integer codes or soft targets.

    Parameters
    ----------
    targets : array-like of shape (n_samples,) or (n_samples, n_classes)
        Integer codes ``0..n_classes-1``, or a soft-target matrix (a class's
        frequency is then its expected mass).
    n_classes : int
        Number of classes ``K``.
    sample_weight : ndarray of shape (n_samples,), default=None

    Returns
    -------
    prior : ndarray of shape (n_classes,)

    Examples
    --------
    >>> from sksmooth._targets import class_prior
    >>> class_prior([0, 0, 1, 2], 3)
    array([0.5 , 0.25, 0.25])
    """
    targets = np.asarray(targets)
    if targets.ndim == 2:
        return np.average(targets, axis=0, weights=sample_weight)
    counts = np.bincount(targets, weights=sample_weight, minlength=n_classes)
    return counts / counts.sum()


@dataclass(frozen=True)
class SmoothingPlan:
    """A smoothing method resolved for the data's classes (see
    :func:`plan_smoothing`).

    Attributes
    ----------
    method : str, ndarray or callable
        The method as given, for messages.
    S : ndarray of shape (K, K)
        Its spread matrix.
    classes : ndarray of shape (K,)
        The class labels, named in messages.
    """

    method: object
    S: np.ndarray
    classes: np.ndarray

    @property
    def bound(self) -> float:
        """The smallest epsilon that no longer leaves every class its row's
        maximum: valid values are ``0 <= epsilon < bound``."""
        return float(epsilon_bounds(self.S).min())

    @property
    def reaches_one(self) -> bool:
        """Whether ``epsilon = 1`` is valid: where ``S`` itself keeps every
        class its row's strict maximum (a transition counted on checked rows,
        ``"counted"``), ``epsilon`` shrinks ``S`` toward the identity, from 0
        (nothing smoothed) to 1 (``S`` itself)."""
        off_diagonal = np.where(np.eye(self.S.shape[0], dtype=bool), -np.inf, self.S)
        return bool(np.all(np.diag(self.S) > off_diagonal.max(axis=1)))

    def check_epsilon(self, epsilon) -> float:
        """``epsilon`` validated against the bound (see :func:`check_epsilon`;
        up to 1 inclusive where :attr:`reaches_one`)."""
        if self.reaches_one and isinstance(epsilon, Real) and epsilon == 1:
            return 1.0
        return check_epsilon(epsilon, self.S, self.method, class_names=self.classes)

    def check_epsilons(self, epsilons) -> list[float]:
        """Every value of a non-empty 1-D sequence validated, before anything
        is fitted; an error names the position and the value."""
        values = np.asarray(epsilons, dtype=object)
        if values.ndim != 1 or values.shape[0] == 0:
            raise ValueError(
                "epsilons must be a non-empty 1-D sequence of numbers, got "
                f"{epsilons!r}."
            )
        checked = []
        for index, epsilon in enumerate(values.tolist()):
            try:
                checked.append(self.check_epsilon(epsilon))
            except (TypeError, ValueError) as error:
                raise type(error)(f"epsilons[{index}] = {epsilon!r}: {error}") from None
        return checked

    def smooth(self, targets, epsilon: float) -> np.ndarray:
        """The smoothed ``(n, K)`` targets of codes or soft targets (no checks)."""
        if targets.ndim == 1:
            return smooth_codes(targets, epsilon, self.S)
        return smooth_soft_targets(targets, epsilon, self.S)

    def transition(self, epsilon: float) -> np.ndarray:
        """``T = (1 - epsilon) * I + epsilon * S``, the ``(K, K)`` matrix of
        forward smoothing (``smooth="predictions"``): row ``k`` is the smoothed
        target of class ``k``, read as the distribution of the observed label
        of a sample whose true class is ``k`` (no checks)."""
        return transition_matrix(epsilon, self.S)


def transition_matrix(epsilon: float, S) -> np.ndarray:
    """``(1 - epsilon) * I + epsilon * S``: the matrix of forward smoothing.

    >>> transition_matrix(0.3, np.array([[0.0, 1.0], [1.0, 0.0]]))
    array([[0.7, 0.3],
           [0.3, 0.7]])
    """
    identity = np.eye(S.shape[0])
    if np.array_equal(S, identity):  # exactly: the unsmoothed fit, bit for bit
        return identity
    return (1.0 - epsilon) * identity + epsilon * S


def counted_transition(
    verified_codes, given_codes, n_classes: int, sample_weight=None
) -> np.ndarray:
    """The label-noise transition counted on rows whose label was checked.

    ``T[k, j]`` estimates the chance that a row of (verified) class ``k``
    carries the label ``j``: the (weighted) count of checked rows of class
    ``k`` labelled ``j``, plus a Dirichlet prior of ``K`` pseudo-rows per class
    whose mean is the pooled estimate: every class mislabelled at the rate
    ``r`` that the checked rows show overall (Laplace's rule of succession,
    ``(m + 1) / (n + 2)`` for ``m`` disagreements among ``n`` checked rows),
    spread evenly over the other classes. A class with few checked rows thus
    leans on what the others show; one with none gets the pooled row.

    Where every checked row agrees with its label, the count is the identity
    exactly: nothing is smoothed.

    Parameters
    ----------
    verified_codes : ndarray of shape (n_checked,)
        The verified class code of each checked row.
    given_codes : ndarray of shape (n_checked,)
        The label each of them was given.
    n_classes : int
        Number of classes ``K``.
    sample_weight : ndarray of shape (n_checked,), default=None
        A row of weight ``w`` counts ``w`` times.

    Returns
    -------
    T : ndarray of shape (n_classes, n_classes)
        Row-stochastic.

    Examples
    --------
    Ten checked rows, two of class 0 labelled 1: the pooled rate is
    ``(2 + 1) / (10 + 2) = 0.25``, so each class gets two pseudo-rows split
    ``0.75 / 0.25``, and row 0 is ``(3 + 1.5, 2 + 0.5) / 7``:

    >>> import numpy as np
    >>> from sksmooth.targets import counted_transition
    >>> verified = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    >>> given = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 1])
    >>> counted_transition(verified, given, 2).round(3)
    array([[0.643, 0.357],
           [0.071, 0.929]])
    >>> counted_transition(verified, verified, 2)
    array([[1., 0.],
           [0., 1.]])
    """
    verified_codes = np.asarray(verified_codes, dtype=np.intp)
    given_codes = np.asarray(given_codes, dtype=np.intp)
    weights = (
        np.ones(verified_codes.shape[0])
        if sample_weight is None
        else np.asarray(sample_weight, dtype=np.float64)
    )
    counts = np.zeros((n_classes, n_classes))
    np.add.at(counts, (verified_codes, given_codes), weights)
    total = counts.sum()
    disagreements = total - np.trace(counts)
    if disagreements <= 0:
        return np.eye(n_classes)
    rate = (disagreements + 1.0) / (total + 2.0)
    pooled = (1.0 - rate) * np.eye(n_classes) + rate * (1.0 - np.eye(n_classes)) / (
        n_classes - 1
    )
    counts += n_classes * pooled
    return counts / counts.sum(axis=1, keepdims=True)


SMOOTH_SIDES = ("targets", "predictions")


def check_smooth(smooth, estimator, owner: str) -> bool:
    """Validate ``smooth``; ``True`` for ``"predictions"``.

    ``estimator`` must then take a ``transition`` fit parameter (sksmooth's
    learners do); the error names ``owner``, the estimator being fitted.
    """
    if not isinstance(smooth, str) or smooth not in SMOOTH_SIDES:
        raise ValueError(
            f"smooth must be one of {list(SMOOTH_SIDES)}, got {smooth!r}: "
            '"targets" fits on smoothed labels, "predictions" smooths the '
            "model's probabilities before they meet the labels (forward "
            "correction of label noise)."
        )
    if smooth == "targets":
        return False
    if not has_fit_parameter(estimator, "transition"):
        raise TypeError(
            f"{owner}(smooth='predictions') needs an estimator whose fit takes a "
            "transition matrix (SoftmaxRegression, SoftMLPClassifier, "
            f"SoftLGBMClassifier); {type(estimator).__name__} does not, and the "
            "expansion path cannot smooth predictions. Use one of those, or "
            "smooth='targets'."
        )
    return True


def plan_smoothing(method, classes, *, prior=None, counted=None) -> SmoothingPlan:
    """Resolve a smoothing method for the data's classes.

    Parameters
    ----------
    method : {"uniform", "off_target", "prior", "counted"}, array-like of \
            shape (K, K) or callable
        See :func:`spread_matrix`; ``"counted"``: the transition counted on
        the rows whose label was checked (``counted``).
    classes : ndarray of shape (K,)
        The class labels (passed to a callable ``method``, named in errors).
    prior : ndarray of shape (K,), default=None
        Class frequencies, needed by ``"prior"``.
    counted : ndarray of shape (K, K), default=None
        :func:`counted_transition` of the checked rows, needed by
        ``"counted"``.

    Returns
    -------
    plan : SmoothingPlan

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._targets import plan_smoothing
    >>> plan = plan_smoothing("off_target", np.array(["a", "b", "c"]))
    >>> round(plan.bound, 4), plan.smooth(np.array([0]), 0.2).round(2).tolist()
    (0.6667, [[0.8, 0.1, 0.1]])
    """
    classes = np.asarray(classes)
    if isinstance(method, str) and method == COUNTED:
        if counted is None:
            raise ValueError(
                "method='counted' smooths by the label noise counted on rows "
                "someone checked: pass their verified classes to fit as "
                "y_verified (None on the rows not checked)."
            )
        return SmoothingPlan(method, np.asarray(counted, dtype=np.float64), classes)
    S = spread_matrix(method, classes.shape[0], prior=prior, classes=classes)
    return SmoothingPlan(method, S, classes)


def smooth_codes(codes, epsilon: float, S: np.ndarray) -> np.ndarray:
    """``(1 - epsilon) * onehot(codes) + epsilon * S[codes]`` (no checks)."""
    Y = epsilon * S[codes]
    Y[np.arange(codes.shape[0]), codes] += 1.0 - epsilon
    return Y


def smooth_soft_targets(Y, epsilon: float, S: np.ndarray) -> np.ndarray:
    """``(1 - epsilon) * Y + epsilon * Y @ S``: each class's share is spread by
    its row of ``S``; for one-hot rows this is :func:`smooth_codes` (no checks).
    """
    return (1.0 - epsilon) * Y + epsilon * (Y @ S)


def smooth_labels(
    y,
    *,
    epsilon: float = 0.1,
    method="uniform",
    n_classes: int | None = None,
    sample_weight=None,
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
        ``"uniform"``, ``epsilon < (K-1)/K`` for ``"off_target"``, and the bound
        of :func:`~sksmooth.targets.max_epsilon` for the others.
    method : {"uniform", "off_target", "prior"}, array-like of shape (K, K) \
            or callable, default="uniform"
        ``"uniform"``: ``(1 - epsilon) * onehot + epsilon / K``, the form of
        PyTorch's and Keras's ``label_smoothing``.
        ``"off_target"``: ``1 - epsilon`` on the true class and
        ``epsilon / (K - 1)`` on each other class.
        ``"prior"``: ``(1 - epsilon) * onehot + epsilon * prior``, with the
        (sample-weighted) class frequencies of ``y``.
        A ``(K, K)`` class-similarity matrix ``S`` (non-negative rows summing to
        one; row ``k`` spreads the mass of class ``k``; a zero diagonal is
        allowed): ``(1 - epsilon) * onehot + epsilon * S[y]``. A callable is
        called with ``arange(K)`` and returns such a matrix.
    n_classes : int, default=None
        Number of classes ``K``. Defaults to the size of a similarity matrix,
        else ``max(y) + 1``. Must be at least 2.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the class frequencies for ``"prior"``; ignored otherwise.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_classes), dtype float64
        Soft targets; every row is non-negative and sums to one.

    Raises
    ------
    ValueError
        If ``y`` holds anything but integer codes in range, if fewer than two
        classes are asked for, if ``method`` is unknown or an invalid matrix, or
        if ``epsilon`` is outside its allowed range (the message gives the bound
        and the class that would lose its maximum).

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth import smooth_labels
    >>> smooth_labels([0, 2], epsilon=0.3)
    array([[0.8, 0.1, 0.1],
           [0.1, 0.1, 0.8]])
    >>> smooth_labels([0, 2], epsilon=0.3, method="off_target")
    array([[0.7 , 0.15, 0.15],
           [0.15, 0.15, 0.7 ]])
    >>> neighbours = np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 1, 0]])
    >>> smooth_labels([0, 1], epsilon=0.2, method=neighbours)
    array([[0.8, 0.2, 0. ],
           [0.1, 0.8, 0.1]])
    """
    if n_classes is None and not isinstance(method, str) and not callable(method):
        n_classes = len(method)  # a similarity matrix says how many classes
    codes = _check_codes(y, n_classes)
    n_classes = int(codes.max()) + 1 if n_classes is None else int(n_classes)
    prior = None
    if isinstance(method, str) and method == "prior":
        weights = check_sample_weight(sample_weight, codes.shape[0], np.float64)
        prior = class_prior(codes, n_classes, weights)
    plan = plan_smoothing(method, np.arange(n_classes), prior=prior)
    return plan.smooth(codes, plan.check_epsilon(epsilon))


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
