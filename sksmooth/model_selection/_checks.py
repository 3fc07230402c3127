"""The search's up-front checks: what can be refused before any fold is fitted.

A search runs many inner fits; an input that one of them would refuse is
refused here first, with the message a user would get from a single fit (the
shape of ``X``), or one that names the search's own alternative (soft
targets, an expansion too large for the largest epsilon).
"""

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import has_fit_parameter

from sksmooth._rows import expanded_nbytes, rows_source
from sksmooth._targets import COUNTED, smooth_codes
from sksmooth._validation import accepts_soft_targets
from sksmooth._verified import check_verified_labels, warn_unchecked_classes
from sksmooth.meta import DEFAULT_MAX_EXPANSION_MIB

_MIB = 2**20


def check_X_2d(X, estimator) -> None:
    """Refuse an ``X`` that is not 2-D with scikit-learn's own message.

    Only the shape is checked: ``X`` is not converted (a DataFrame with
    categories, NaN for a learner that takes them, a sparse matrix all reach
    the inner learner as they are, and the inner learner validates them).
    """
    if getattr(X, "ndim", None) == 2:
        return
    check_array(
        X,
        accept_sparse=True,
        dtype=None,
        ensure_all_finite=False,
        input_name="X",
        estimator=estimator,
    )


def check_label_vector(y, name: str) -> None:
    """Refuse soft targets (a matrix with a column per class) by name.

    The search scores its candidates against class labels; a column vector
    is still taken as labels (with scikit-learn's warning).
    """
    try:  # through __array__: np.shape would refuse array-likes that forbid it
        shape = y.shape if hasattr(y, "ndim") else np.asarray(y).shape
    except ValueError:  # ragged: encode_labels says what is wrong
        return
    if len(shape) == 2 and shape[1] > 1:
        raise ValueError(
            f"{name} fits class labels, y of shape (n_samples,), but got y of "
            f"shape {shape}, which looks like soft targets (one column per "
            "class). Fit soft targets with LabelSmoothingClassifier (epsilon "
            "fixed) or with a soft-target learner directly; to choose epsilon "
            "here, pass class labels (for instance Y.argmax(axis=1))."
        )


def check_expansion_sizes(learner, X, codes, epsilons, S, row_sets) -> None:
    """Refuse, before any fit, an expansion that an inner fit would refuse.

    A learner that does not take soft targets is fitted through
    :class:`~sksmooth.LabelSmoothingClassifier`'s expansion (a row per class
    with target mass), which refuses more than its default
    ``max_expansion_mib``. The largest epsilon of the grid gives every class
    the most rows; ``row_sets`` are ``(where, rows)`` of each fit to come (the
    training parts of the folds, and all rows for the refit).
    """
    if accepts_soft_targets(learner) or len(epsilons) == 0:
        return
    largest = float(np.max(epsilons))
    n_classes = S.shape[0]
    per_class = np.count_nonzero(smooth_codes(np.arange(n_classes), largest, S), 1)
    X = rows_source(X)
    for where, rows in row_sets:
        kept = np.zeros(codes.shape[0], dtype=np.intp)
        kept[rows] = per_class[codes[rows]]
        size = expanded_nbytes(X, kept)
        if size <= DEFAULT_MAX_EXPANSION_MIB * _MIB:
            continue
        raise ValueError(
            f"{type(learner).__name__} does not take soft targets, so it is "
            "fitted by expansion (each row repeated once per class with target "
            f"mass); at epsilon={largest:.6g}, the largest of the grid, the "
            f"{where} would copy X into {int(kept.sum()):,} rows: {size / _MIB:,.4g} "
            "MiB for X, labels and weights, above the "
            f"{DEFAULT_MAX_EXPANSION_MIB} MiB that LabelSmoothingClassifier "
            "allows (max_expansion_mib). Refused before any fit: use a learner "
            "that takes soft targets natively (SoftmaxRegression, "
            "SoftMLPClassifier, SoftLGBMClassifier: no copy of X), or fewer "
            "rows or features."
        )


def check_two_per_class(codes, classes) -> None:
    """Refuse a class of one sample, by name, for stratified folds.

    Stratified folds put every class in every training part once it has two
    samples (scikit-learn warns when it has fewer than ``n_splits``); a class
    of one sample cannot be in all of them.
    """
    counts = np.bincount(codes)
    if counts.min() < 2:
        rarest = classes[[int(np.argmin(counts))]].tolist()[0]
        raise ValueError(
            f"the class {rarest!r} has only 1 sample, but every training fold "
            "must hold every class: give each class at least 2 samples (drop or "
            "relabel that one)."
        )


def check_folds(folds, codes, classes, label: str) -> None:
    """Every validation part holds a sample and every training part every
    class; ``label`` names the splitter in the error."""
    n_classes = classes.shape[0]
    for i, (train, val) in enumerate(folds):
        present = np.bincount(codes[train], minlength=n_classes) > 0
        if len(val) == 0:
            raise ValueError(
                f"{label}: fold {i} has no validation samples; use a "
                "splitter that gives every fold validation data."
            )
        if not present.all():
            raise ValueError(
                f"{label}: the training part of fold {i} lacks the "
                f"class(es) {classes[~present].tolist()}; use fewer folds or a "
                "stratified splitter."
            )


def check_search_verified(search, y_verified, codes, classes, inner):
    """``y_verified`` of a search checked before any fold (see
    :func:`~sksmooth._verified.check_verified_labels`): with forward
    smoothing the learner's ``fit`` must take ``verified``, and
    ``method="counted"`` needs checked rows (and warns about classes none of
    them has). Returns the :class:`~sksmooth._verified.VerifiedLabels` or
    ``None``."""
    name = type(search).__name__
    forward = isinstance(search.smooth, str) and search.smooth == "predictions"
    counting = isinstance(search.method, str) and search.method == COUNTED
    if y_verified is not None and forward and not has_fit_parameter(inner, "verified"):
        raise TypeError(
            f"y_verified with smooth='predictions' needs a learner whose fit takes "
            f"verified (SoftmaxRegression, SoftMLPClassifier); "
            f"{type(inner).__name__} does not."
        )
    verified = check_verified_labels(y_verified, codes, classes, name)
    if counting and verified is None:
        raise ValueError(
            f"{name}(method='counted') smooths by the label noise counted on rows "
            "someone checked: pass their verified classes to fit as y_verified "
            "(None on the rows not checked), with at least one row checked."
        )
    if counting:
        warn_unchecked_classes(verified, classes)
    return verified
