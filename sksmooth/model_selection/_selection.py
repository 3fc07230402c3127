"""How the choice is made: the default epsilon grid, the selection rules, and
the similarity learned from out-of-fold confusions (``method="confusion"``)."""

from numbers import Integral, Real

import numpy as np

from sksmooth._targets import SmoothingPlan, plan_smoothing, transition_matrix
from sksmooth._validation import plain_value

# Share of the method's largest epsilon that the default grid reaches.
GRID_REACH = 0.9


# The anchor points of anchor_similarity: Patrini et al.'s 97th percentile.
ANCHOR_QUANTILE = 0.97


def default_epsilon_grid(n_values: int, bound: float) -> np.ndarray:
    """``n_values`` epsilons from 0 to 90 % of ``bound``, quadratically spaced.

    Small epsilons change a model most per unit of epsilon, so the grid is
    denser there: ``0.9 * bound * (i / (n - 1)) ** 2``.

    Examples
    --------
    >>> from sksmooth.model_selection import default_epsilon_grid
    >>> default_epsilon_grid(4, 1.0).round(3)
    array([0. , 0.1, 0.4, 0.9])
    """
    return GRID_REACH * bound * np.linspace(0.0, 1.0, n_values) ** 2


def confusion_similarity(proba, codes, n_classes: int, sample_weight=None):
    """Similarity matrix learned from predicted probabilities.

    Row ``k`` is the (weighted) mean predicted distribution of the class-``k``
    samples, with the diagonal removed and renormalised. A class whose samples
    put (numerically) no mass on other classes, or that has no samples, gets
    the uniform distribution over the other classes.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Out-of-fold predicted probabilities, columns in code order.
    codes : ndarray of shape (n_samples,)
        True class codes ``0..n_classes-1``.
    n_classes : int
        Number of classes ``K``.
    sample_weight : ndarray of shape (n_samples,), default=None

    Returns
    -------
    S : ndarray of shape (n_classes, n_classes)
        Zero diagonal, rows summing to one.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.model_selection._selection import confusion_similarity
    >>> proba = np.array([[0.8, 0.2, 0.0], [0.1, 0.6, 0.3], [0.0, 0.0, 1.0]])
    >>> confusion_similarity(proba, np.array([0, 1, 2]), 3).round(2)
    array([[0.  , 1.  , 0.  ],
           [0.25, 0.  , 0.75],
           [0.5 , 0.5 , 0.  ]])
    """
    weights = np.ones(codes.shape[0]) if sample_weight is None else sample_weight
    totals = np.zeros((n_classes, n_classes))
    np.add.at(totals, codes, proba * weights[:, None])
    np.fill_diagonal(totals, 0.0)
    row_sums = totals.sum(axis=1)
    class_weight = np.bincount(codes, weights=weights, minlength=n_classes)
    confused = row_sums > np.finfo(np.float64).eps * np.maximum(class_weight, 1.0)
    uniform = (1.0 - np.eye(n_classes)) / (n_classes - 1)
    S = uniform.copy()
    S[confused] = totals[confused] / row_sums[confused, None]
    return S


def anchor_similarity(proba, n_classes: int, quantile: float = ANCHOR_QUANTILE):
    """Similarity matrix of a label-noise transition, from anchor points.

    For forward smoothing (``smooth="predictions"``, ``method="confusion"``),
    the matrix must estimate ``P(label = j | true class k)``, which the class
    means of :func:`confusion_similarity` do not (they mix in the samples
    flipped *into* class ``k``, so a one-way flip ``k -> k + 1`` looks
    symmetric). Patrini et al. (CVPR 2017) estimate row ``k`` from the samples
    the noisy-label model is surest belong to ``k`` (anchor points): here the
    mean predicted distribution of the samples whose probability of ``k``
    is at or above its ``quantile`` over all samples (the paper's 97 %, for
    robustness to outliers). The diagonal is removed and each row renormalised
    (uniform where nothing is left), as in :func:`confusion_similarity`.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Out-of-fold probabilities of a model fitted on the (noisy) labels.
    n_classes : int
    quantile : float, default=0.97

    Returns
    -------
    S : ndarray of shape (n_classes, n_classes)
        Zero diagonal, rows summing to one.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.model_selection._selection import anchor_similarity
    >>> proba = np.array([[0.7, 0.3, 0.0], [0.0, 0.7, 0.3], [0.3, 0.0, 0.7]])
    >>> anchor_similarity(proba, 3, quantile=1.0)
    array([[0., 1., 0.],
           [0., 0., 1.],
           [1., 0., 0.]])
    """
    estimate = np.empty((n_classes, n_classes))
    for k in range(n_classes):
        anchors = proba[:, k] >= np.quantile(proba[:, k], quantile)
        estimate[k] = proba[anchors].mean(axis=0)
    np.fill_diagonal(estimate, 0.0)
    row_sums = estimate.sum(axis=1)
    S = (1.0 - np.eye(n_classes)) / (n_classes - 1)
    confused = row_sums > np.finfo(np.float64).eps
    S[confused] = estimate[confused] / row_sums[confused, None]
    return S


# The smallest gain over the unsmoothed score, relative to it, that smoothing
# must show: below it, gains are the solver's tolerance, not the data's.
RESOLUTION = 1e-3

# Forward smoothing: how much worse than the unsmoothed model's the log-loss of
# the predicted p itself against the labels may be (out of fold). Noise the
# smoothing corrects costs p something on the labels as given; classes that
# overlap, read as noise, cost it more, and sharpen p without bound (measured
# on the baselines page: at 2, overlapping ordinal classes got probabilities
# of 1e-50 and twice the unsmoothed test log-loss; at 1.25, 30 % pair noise
# on digits kept half the epsilon it needed).
P_LOSS_RATIO = 1.5


def select_candidate(
    fold_scores, epsilons, settings, selection: str = "setting_first", admissible=None
) -> int:
    """Index of the chosen candidate, from its fold scores (higher is better).

    ``"best"``: the highest mean fold score over every (setting, epsilon).
    ``"setting_first"``: the setting (a regulariser value, say) is chosen by
    its mean score at its smallest epsilon (0 on the default grids), as a
    search without smoothing would choose it; then the epsilon with the
    highest mean along that setting's path, if it is better than the
    smallest epsilon by more than the folds can blur: its mean gain must
    exceed one standard error of the paired fold differences and
    ``RESOLUTION`` (0.1 %) of the smallest epsilon's score; else the smallest
    epsilon stays. Searching settings and epsilons jointly lets them stand in
    for each other: on small data the joint best is often a weakly
    regularised model rescued by a large epsilon, which the out-of-fold score
    cannot tell from the unsmoothed model but which predicts worse. And where
    the folds cannot tell epsilons apart (labels that carry little about
    ``X``), forward smoothing's large epsilon reads the data's own ambiguity as
    label noise and sharpens ``p`` far beyond the truth. A NaN mean never wins.
    Candidates outside ``admissible`` are passed over (see
    :func:`p_loss_admissible`).

    Parameters
    ----------
    fold_scores : ndarray of shape (n_candidates, n_folds)
        Each candidate's score on each validation fold.
    epsilons : ndarray of shape (n_candidates,)
        Each candidate's epsilon.
    settings : ndarray of shape (n_candidates,)
        Each candidate's setting (an index into the searched settings).
    selection : {"setting_first", "best"}, default="setting_first"
    admissible : ndarray of shape (n_candidates,) of bool, default=None
        The candidates that may be chosen (all when ``None``); with
        ``"setting_first"`` the unsmoothed ones always may.

    Returns
    -------
    index : int
        Row of ``fold_scores`` chosen.

    Examples
    --------
    Two settings, each with epsilon 0 and 0.3: the second setting is worse
    unsmoothed, so ``"setting_first"`` keeps the first and smooths it; the
    joint best is the second setting smoothed.

    >>> import numpy as np
    >>> from sksmooth.model_selection._selection import select_candidate
    >>> scores = np.array([[-0.5, -0.52], [-0.48, -0.49], [-0.6, -0.6], [-0.47, -0.47]])
    >>> epsilons = np.array([0.0, 0.3, 0.0, 0.3])
    >>> settings = np.array([0, 0, 1, 1])
    >>> select_candidate(scores, epsilons, settings), select_candidate(
    ...     scores, epsilons, settings, "best")
    (1, 3)
    """
    fold_scores = np.asarray(fold_scores, dtype=np.float64)
    epsilons, settings = np.asarray(epsilons), np.asarray(settings)
    mean = fold_scores.mean(axis=1)
    mean = np.where(np.isnan(mean), -np.inf, mean)
    if admissible is not None:
        mean = np.where(admissible, mean, -np.inf)
    if selection == "best":
        return int(np.argmax(mean))
    smallest = {s: epsilons[settings == s].min() for s in np.unique(settings)}
    unsmoothed = np.flatnonzero(epsilons == [smallest[s] for s in settings])
    reference = unsmoothed[np.argmax(mean[unsmoothed])]
    path = np.flatnonzero(settings == settings[reference])
    best = path[np.argmax(mean[path])]
    gains = fold_scores[best] - fold_scores[reference]
    blur = RESOLUTION * abs(mean[reference])
    if len(gains) > 1:
        blur = max(blur, np.std(gains, ddof=1) / np.sqrt(len(gains)))
    return int(best if mean[best] - mean[reference] > blur else reference)


def p_loss_admissible(p_losses, epsilons, settings) -> np.ndarray:
    """Which forward-smoothing candidates may be chosen: those whose ``p``
    (what ``predict_proba`` returns) scores, out of fold against the labels
    as given, a log-loss at most ``P_LOSS_RATIO`` (1.5) times that of the
    same setting at its smallest epsilon.

    The labels' own score of ``q = p T`` cannot tell label noise from
    ambiguity the model cannot resolve: on nearly separable or misspecified
    data a large epsilon buys a slightly better ``q`` with a ``p`` far sharper
    than the truth. Noise that the smoothing corrects makes ``p`` pay on the
    flipped labels, but only so much.

    Parameters
    ----------
    p_losses : ndarray of shape (n_candidates,)
        Each candidate's out-of-fold log-loss of ``p`` against the labels.
    epsilons, settings : ndarray of shape (n_candidates,)

    Returns
    -------
    admissible : ndarray of shape (n_candidates,) of bool

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.model_selection._selection import p_loss_admissible
    >>> p_loss_admissible(np.array([0.5, 0.7, 0.8]), np.array([0, 0.1, 0.3]),
    ...                   np.zeros(3)).tolist()
    [True, True, False]
    """
    p_losses, epsilons, settings = map(np.asarray, (p_losses, epsilons, settings))
    admissible = np.ones(p_losses.shape[0], dtype=bool)
    for setting in np.unique(settings):
        rows = np.flatnonzero(settings == setting)
        reference = rows[np.argmin(epsilons[rows])]
        admissible[rows] = p_losses[rows] <= P_LOSS_RATIO * p_losses[reference]
    return admissible


def epsilon_grid(epsilons, plan: SmoothingPlan) -> np.ndarray:
    """The epsilons to try: a default grid of ``epsilons`` values (an int), or
    the given values checked against ``plan``'s bound, sorted, de-duplicated."""
    if isinstance(epsilons, int):
        if plan.reaches_one:  # a counted transition: from none of it to all
            return np.linspace(0.0, 1.0, epsilons) ** 2
        return default_epsilon_grid(epsilons, plan.bound)
    return np.unique(plan.check_epsilons(epsilons))


def check_epsilons_param(epsilons):
    """``epsilons`` of the CV estimator: a grid size (an int >= 2) or a list
    of values, checked for type and sign; the method's bound needs the data's
    classes and is checked by :func:`epsilon_grid`."""
    if isinstance(epsilons, Integral) and not isinstance(epsilons, bool):
        if epsilons < 2:
            raise ValueError(
                f"epsilons={epsilons!r}: an int asks for a grid of that many "
                "values and must be >= 2; or pass a list of epsilons."
            )
        return int(epsilons)
    if isinstance(epsilons, str | bool) or not np.iterable(epsilons):
        raise TypeError(
            "epsilons must be an int >= 2 (the size of the default grid) or a "
            f"list of numbers, got {epsilons!r}."
        )
    values = list(epsilons)
    if not values:
        raise ValueError("epsilons is empty; pass at least one value or an int.")
    for index, value in enumerate(values):
        # The method's bound needs the data's classes: checked in fit.
        if isinstance(value, bool) or not isinstance(value, Real):
            raise TypeError(
                f"epsilons[{index}] = {plain_value(value)!r}: epsilon must be a real "
                f"number in [0, 1), got {type(value).__name__}."
            )
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(
                f"epsilons[{index}] = {value}: epsilon must be finite and "
                "satisfy 0 <= epsilon < 1 (or the method's bound)."
            )
    return values


def counted_spreads(verified, folds, sample_weight, classes, epsilons):
    """``method="counted"``: the transition counted on each fold's checked
    training rows, the one counted on every checked row (for the refit), and
    the epsilon grid (checked against each count's bound; only ``0`` when
    every checked row agrees with its label, as nothing is to be smoothed).

    Returns
    -------
    per_fold : list of ndarray of shape (K, K)
    full : ndarray of shape (K, K)
    grid : ndarray
    """
    per_fold = [verified.transition(train, sample_weight) for train, _ in folds]
    full = verified.transition(None, sample_weight)
    if verified.agree:
        return per_fold, full, np.zeros(1)
    plans = [plan_smoothing("counted", classes, counted=T) for T in [full, *per_fold]]
    tightest = min(plans, key=lambda plan: (plan.reaches_one, plan.bound))
    grid = epsilon_grid(epsilons, tightest)
    for plan in plans:
        plan.check_epsilons(grid)
    return per_fold, full, grid


def fold_transitions(epsilon, S):
    """``transition_matrix(epsilon, S)``, or a list of one per fold when ``S``
    is a list of one spread per fold."""
    if isinstance(S, list):
        return [transition_matrix(epsilon, S_f) for S_f in S]
    return transition_matrix(epsilon, S)
