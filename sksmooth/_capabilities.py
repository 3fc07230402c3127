"""What a learner's own ε path can do: declared by the learner, read by the
search in one place.

A learner with a ``fit_path(X, y, epsilons, *, method, sample_weight)``
method walks a fold's whole path itself when ``LabelSmoothingClassifierCV``
asks it to. What more its ``fit_path`` takes (several values of one of its
parameters in one call, forward smoothing, a callback after each point) it
declares with a private ``_path_capabilities()`` method returning a
:class:`PathCapabilities`; the search reads that (:func:`path_capabilities`),
never the method's signature, and knows no parameter by name. A leaf: it
imports nothing of sksmooth.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PathCapabilities:
    """What a learner's ``fit_path`` takes beyond ``(X, y, epsilons, *,
    method, sample_weight)``.

    Attributes
    ----------
    grid_parameter : str or None, default=None
        A parameter of the learner whose values ``fit_path`` walks in one call
        (``"C"``): settings of a search that differ only in it go to one
        ``fit_path`` per fold, which returns their paths one after the other.
    grid_argument : str or None, default=None
        The keyword of ``fit_path`` that takes those values (``"Cs"``).
    default_grid : tuple of float, default=()
        The values of ``grid_parameter`` that ``param_grid="auto"`` searches
        when the search builds the learner itself.
    smooth_predictions : bool, default=False
        ``fit_path`` takes ``smooth="predictions"`` (forward smoothing).
    timed : bool, default=False
        ``fit_path`` takes ``callback``, called as ``callback(i)`` once the
        point ``i`` of its returned path is solved.
    checked_rows : bool, default=False
        With ``smooth="predictions"``, ``fit_path`` takes ``verified``, the
        mask of rows whose label someone checked (scored against ``p``
        itself); without it the search walks such paths by warm-started fits.

    Examples
    --------
    >>> from sksmooth import SoftmaxRegression
    >>> from sksmooth._capabilities import path_capabilities
    >>> capabilities = path_capabilities(SoftmaxRegression())
    >>> capabilities.grid_parameter, capabilities.grid_argument
    ('C', 'Cs')
    >>> path_capabilities(object()) is None
    True
    """

    grid_parameter: str | None = None
    grid_argument: str | None = None
    default_grid: tuple = ()
    smooth_predictions: bool = False
    timed: bool = False
    checked_rows: bool = False


def path_capabilities(learner) -> PathCapabilities | None:
    """What ``learner``'s ``fit_path`` can do; ``None`` without a ``fit_path``.

    A ``fit_path`` without a declaration has the plain contract (target
    smoothing, one call per path, timed as a whole).
    """
    if getattr(learner, "fit_path", None) is None:
        return None
    declare = getattr(learner, "_path_capabilities", None)
    return PathCapabilities() if declare is None else declare()
