"""Rows whose label someone checked: ``y_verified`` encoded, checked, counted.

:func:`check_verified` validates a learner's mask of checked rows;
:func:`encode_verified` a meta-estimator's ``y_verified`` labels.

Both meta-estimators take ``fit(X, y, ..., y_verified=...)``: the verified
class on the checked rows, a missing value elsewhere, beside the labels as
given. :func:`check_verified_labels` turns it into a :class:`VerifiedLabels`
(the codes to fit, the mask, the labels as given) and warns, before any fit,
about what it cannot use; :meth:`VerifiedLabels.transition` counts the
label-noise transition on the checked rows of a subset (a fold's training
part, or all rows).
"""

import warnings
from dataclasses import dataclass

import numpy as np

from sksmooth._targets import counted_transition
from sksmooth._validation import plain_value


def check_verified(verified, n_samples: int):
    """Validate a learner's ``verified`` mask; ``None`` stays ``None``.

    Parameters
    ----------
    verified : array-like of shape (n_samples,) of bool or None
        Rows whose label someone checked: forward smoothing scores them
        against ``p`` itself, not ``p @ transition``.
    n_samples : int

    Returns
    -------
    verified : ndarray of shape (n_samples,) of bool, or None

    Examples
    --------
    >>> from sksmooth._verified import check_verified
    >>> check_verified([True, False], 2)
    array([ True, False])
    """
    if verified is None:
        return None
    mask = np.asarray(verified)
    if mask.dtype != np.bool_:
        raise TypeError(
            "verified must be a boolean mask of shape (n_samples,), True on the "
            f"rows whose label was checked; got an array of dtype {mask.dtype}. "
            "(The meta-estimators take the checked labels themselves as "
            "y_verified.)"
        )
    if mask.shape != (n_samples,):
        raise ValueError(
            f"verified must have shape (n_samples,) = ({n_samples},), got {mask.shape}."
        )
    return mask


def is_missing(value) -> bool:
    """Whether one entry of ``y_verified`` marks a row as unchecked: ``None``,
    a float NaN, or pandas' ``NA`` (recognised without importing pandas)."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    kind = type(value)
    return kind.__name__ == "NAType" and kind.__module__.startswith("pandas")


def encode_verified(y_verified, classes, n_samples: int):
    """``y_verified`` as codes of ``classes`` and the mask of checked rows.

    Parameters
    ----------
    y_verified : array-like of shape (n_samples,)
        The verified class of each checked row, a missing value (``None``,
        ``NaN``, pandas' ``NA``) elsewhere.
    classes : ndarray of shape (n_classes,)
        The classes of ``y``, sorted.
    n_samples : int
        The length of ``y``.

    Returns
    -------
    codes : ndarray of shape (n_samples,)
        The verified class codes; ``-1`` on unchecked rows.
    verified : ndarray of shape (n_samples,) of bool
        The checked rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._verified import encode_verified
    >>> encode_verified(["b", None, "a"], np.array(["a", "b"]), 3)
    (array([ 1, -1,  0]), array([ True, False,  True]))
    """
    if hasattr(y_verified, "isna"):  # pandas: its own missing values
        missing = np.asarray(y_verified.isna(), dtype=bool).ravel()
        values = np.asarray(y_verified, dtype=object).ravel()
    else:
        values = np.asarray(y_verified, dtype=object)
        if values.ndim != 1:
            values = values.ravel() if values.ndim == 2 and 1 in values.shape else None
        missing = None if values is None else np.array([is_missing(v) for v in values])
    if values is None or values.shape[0] != n_samples:
        shape = np.shape(y_verified)
        raise ValueError(
            f"y_verified must be 1-D with one entry per sample of y ({n_samples}), "
            f"got shape {shape}; put the verified class on the checked rows and "
            "None or NaN on the others."
        )
    lookup = {plain_value(label): code for code, label in enumerate(classes)}
    codes = np.full(n_samples, -1, dtype=np.intp)
    for row in np.flatnonzero(~missing):
        label = plain_value(values[row])
        try:
            codes[row] = lookup[label]
        except (KeyError, TypeError):
            raise ValueError(
                f"y_verified[{row}] = {label!r} is not a class of y; y's classes "
                f"are {[plain_value(c) for c in classes]}. A verified class must "
                "be one the labels as given use."
            ) from None
    return codes, ~missing


@dataclass(frozen=True)
class VerifiedLabels:
    """Checked labels beside the labels as given.

    Attributes
    ----------
    codes : ndarray of shape (n_samples,)
        What the learner fits: the verified class on checked rows, the label
        as given elsewhere.
    given : ndarray of shape (n_samples,)
        The labels as given, as codes.
    mask : ndarray of shape (n_samples,) of bool
        The checked rows.
    n_classes : int
    """

    codes: np.ndarray
    given: np.ndarray
    mask: np.ndarray
    n_classes: int

    @property
    def agree(self) -> bool:
        """Whether every checked row's verified class is its given label."""
        return bool(np.all(self.codes[self.mask] == self.given[self.mask]))

    def transition(self, rows=None, sample_weight=None) -> np.ndarray:
        """:func:`~sksmooth.targets.counted_transition` of the checked rows
        among ``rows`` (all when ``None``), weighted by ``sample_weight``
        (of shape ``(n_samples,)``)."""
        mask = self.mask if rows is None else self.mask & in_rows(rows, self.mask)
        weights = None if sample_weight is None else sample_weight[mask]
        return counted_transition(
            self.codes[mask], self.given[mask], self.n_classes, weights
        )

    def unchecked_classes(self, classes) -> list:
        """The classes (labels from ``classes``) that no checked row has."""
        present = np.bincount(self.codes[self.mask], minlength=self.n_classes) > 0
        return [plain_value(c) for c in np.asarray(classes)[~present]]


def in_rows(rows, mask) -> np.ndarray:
    """``rows`` (indices) as a boolean mask of ``mask``'s length."""
    selected = np.zeros(mask.shape[0], dtype=bool)
    selected[rows] = True
    return selected


def check_verified_labels(y_verified, given, classes, owner: str):
    """``y_verified`` checked against the labels as given.

    Parameters
    ----------
    y_verified : array-like of shape (n_samples,) or None
        Verified classes on checked rows, missing values elsewhere.
    given : ndarray of shape (n_samples,)
        The labels as given, as codes of ``classes``.
    classes : ndarray of shape (n_classes,)
    owner : str
        The estimator, named in warnings.

    Returns
    -------
    verified : VerifiedLabels or None
        ``None`` when ``y_verified`` is ``None`` or marks no row (with a
        ``UserWarning``: the fit goes on as without it).

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._verified import check_verified_labels
    >>> checked = check_verified_labels(
    ...     ["b", None, None, "a"], np.array([0, 1, 0, 0]), np.array(["a", "b"]), "it"
    ... )
    >>> checked.codes, checked.mask, checked.agree
    (array([1, 1, 0, 0]), array([ True, False, False,  True]), False)
    """
    if y_verified is None:
        return None
    codes, mask = encode_verified(y_verified, classes, given.shape[0])
    if not mask.any():
        warnings.warn(
            f"y_verified marks no row as checked (every entry is missing); {owner} "
            "is fitted as without it.",
            UserWarning,
            stacklevel=3,
        )
        return None
    if mask.all():
        warnings.warn(
            f"y_verified checks every row, so the labels as given are not used: "
            f"{owner} fits the verified classes, and there is no label noise left "
            "to smooth.",
            UserWarning,
            stacklevel=3,
        )
    fit_codes = np.where(mask, codes, given)
    return VerifiedLabels(fit_codes, given, mask, classes.shape[0])


def warn_unchecked_classes(verified: VerifiedLabels, classes) -> None:
    """Warn, for ``method="counted"``, about classes no checked row has: their
    rows of the counted transition are the pooled estimate."""
    missing = verified.unchecked_classes(classes)
    if missing:
        warnings.warn(
            f"No checked row has the class(es) {missing}: their rows of the counted "
            "transition are the pooled estimate (the disagreement rate of all "
            "checked rows, spread evenly over the other classes). Check some rows "
            "of those classes for a count of their own.",
            UserWarning,
            stacklevel=4,
        )
