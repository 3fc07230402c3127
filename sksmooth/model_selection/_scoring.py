"""Scores of stored out-of-fold predictions, and ``cv_results_``.

Every candidate (setting, epsilon) is scored from the validation
log-probabilities its fold paths kept (:func:`candidate_scores`), with any
scikit-learn scorer through a stand-in classifier that returns them
(:class:`StoredPredictions`), and ``neg_log_loss`` straight from the
log-probabilities. :func:`format_results` lays the rows out as
``GridSearchCV`` does and ranks them as it ranks.
"""

from typing import NamedTuple

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import check_scoring, get_scorer
from sklearn.utils.metadata_routing import get_routing_for_object

from sksmooth._rows import take_rows
from sksmooth.model_selection._calibration import (
    RowTransitions,
    fit_temperature,
    observed_log_proba,
)
from sksmooth.model_selection._path import SearchData, fold_spread
from sksmooth.model_selection._selection import p_loss_admissible, select_candidate


def neg_log_loss_from_log_proba(log_proba, codes, sample_weight=None) -> float:
    """scikit-learn's ``neg_log_loss`` score, straight from log-probabilities.

    As :func:`sklearn.metrics.log_loss` computes it: the probability of the
    true class clipped to ``[eps, 1 - eps]`` (``eps`` of float64), its log
    averaged with the sample weights: the negated log-loss. The scorer spends
    most of its time validating and one-hot encoding labels, which stored
    out-of-fold predictions do not need.

    Parameters
    ----------
    log_proba : ndarray of shape (n_samples, n_classes)
    codes : ndarray of shape (n_samples,)
        Column of the true class of each sample.
    sample_weight : ndarray of shape (n_samples,), default=None

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.model_selection._scoring import neg_log_loss_from_log_proba
    >>> round(neg_log_loss_from_log_proba(np.log([[0.5, 0.5], [0.2, 0.8]]), [0, 1]), 4)
    -0.4581
    """
    eps = np.finfo(np.float64).eps
    true_class = np.take_along_axis(
        np.asarray(log_proba, dtype=np.float64),
        np.asarray(codes)[:, np.newaxis],
        axis=1,
    )[:, 0]
    proba = np.clip(np.exp(true_class), eps, 1 - eps)
    return float(np.average(np.log(proba), weights=sample_weight))


class NegLogLoss:
    """``get_scorer("neg_log_loss")``, marked so that stored out-of-fold
    predictions are scored by :func:`neg_log_loss_from_log_proba` instead."""

    def __init__(self):
        self.scorer = get_scorer("neg_log_loss")

    def __call__(self, estimator, X, y, **params):
        return self.scorer(estimator, X, y, **params)

    def get_metadata_routing(self):
        return self.scorer.get_metadata_routing()


class StoredPredictions(ClassifierMixin, BaseEstimator):
    """A stand-in classifier that returns stored probabilities, so that any
    scikit-learn scorer can score out-of-fold predictions without refitting or
    re-predicting. ``X`` is ignored."""

    def __init__(self, proba=None, classes=None):
        self.proba = proba
        self.classes = classes

    def fit(self, X, y):  # pragma: no cover - never fitted, only scored
        return self

    @property
    def classes_(self):
        return self.classes

    def predict_proba(self, X):
        return self.proba

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.proba)

    def predict(self, X):
        return self.classes[np.argmax(self.proba, axis=1)]


def check_scorers(scoring, estimator) -> dict:
    """``scoring`` as a dict name -> scorer; the first one decides.

    A name or callable becomes ``{"score": scorer}``; a list of names or a
    dict of names or callables keeps its names. ``None`` is ``estimator``'s
    own ``score`` (called on the stand-in, it is the stand-in's accuracy).
    """
    if isinstance(scoring, dict):
        items = list(scoring.items())
    elif isinstance(scoring, list | tuple):
        items = [(name, name) for name in scoring]
    else:
        items = [("score", scoring)]
    if not items:
        raise ValueError("scoring is empty; pass a scorer name or callable.")
    scorers = {}
    for name, value in items:
        if isinstance(value, str) and value == "neg_log_loss":
            scorers[name] = NegLogLoss()
        elif isinstance(value, str):
            try:
                scorers[name] = get_scorer(value)
            except ValueError:
                raise ValueError(
                    f"scoring={value!r} is not a known scorer; use a name from "
                    "sklearn.metrics.get_scorer_names() or a callable "
                    "scorer(estimator, X, y)."
                ) from None
        elif value is None:
            scorers[name] = check_scoring(estimator, scoring=None)
        elif callable(value):
            scorers[name] = value
        else:
            raise TypeError(
                "scoring must be a scorer name, a callable, a list of names or a "
                f"dict of them, got {value!r}."
            )
    return scorers


def scorer_params(scorer, params: dict) -> dict:
    """What one scorer receives: ``sample_weight`` always (the search consumes
    it: every fit and score is weighted), other metadata only where the scorer
    requests it (metadata routing)."""
    extra = {key: value for key, value in params.items() if key != "sample_weight"}
    if extra:
        wanted = get_routing_for_object(scorer).consumes("score", list(extra))
        extra = {key: extra[key] for key in wanted}
    if "sample_weight" in params:
        extra["sample_weight"] = params["sample_weight"]
    return extra


def fold_scores(fold_log_proba, data: SearchData, scorers, subsets=None):
    """Each scorer's score on each validation fold, from its log-probabilities.

    Per-sample entries of ``data.score_params`` are taken at each fold's rows.
    ``subsets``: per fold, a mask over its validation rows to score only
    those (a fold with none scores NaN).
    """
    codes, classes = data.codes, data.classes
    n = codes.shape[0]
    scores = {name: [] for name in scorers}
    for f, ((_, val), log_proba) in enumerate(
        zip(data.folds, fold_log_proba, strict=True)
    ):
        if subsets is not None:
            if not subsets[f].any():
                for name in scorers:
                    scores[name].append(np.nan)
                continue
            val, log_proba = val[subsets[f]], log_proba[subsets[f]]
        stand_in = StoredPredictions(np.exp(log_proba), classes)
        fold_params = {
            k: take_rows(v, val) if np.ndim(v) and len(v) == n else v
            for k, v in data.score_params.items()
        }
        y_val = classes[codes[val]]
        dummy = np.zeros((len(val), 1))
        for name, scorer in scorers.items():
            params = scorer_params(scorer, fold_params)
            if isinstance(scorer, NegLogLoss) and set(params) <= {"sample_weight"}:
                score = neg_log_loss_from_log_proba(
                    log_proba, codes[val], params.get("sample_weight")
                )
            else:
                score = scorer(stand_in, dummy, y_val, **params)
            scores[name].append(float(score))
    return scores


def candidate_scores(per_fold, e, data: SearchData, scorers, transition=None):
    """One candidate's row: its fit times and its fold scores.

    With a ``transition`` matrix (forward smoothing; or a list of one per
    fold) every score is of the smoothed prediction ``p @ transition``
    against the labels, a proper score for the (noisy) labels; on checked
    rows (``data.verified``), of ``p`` itself against their verified class.
    With checked rows the row also holds the scores of ``p`` on them alone
    (``"verified"``).
    """
    checked = checked_validation_rows(data)
    observed = []
    for f, p in enumerate(per_fold):
        T = fold_spread(transition, f)
        log_q = observed_log_proba(p.log_proba[e], T)
        if T is not None and checked is not None:
            log_q = np.where(checked[f][:, None], p.log_proba[e], log_q)
        observed.append(log_q)
    row = {
        "fit_time": np.array([p.fit_times[e] for p in per_fold]),
        # the budgeted walk's iteration cap, the same in every fold
        "max_iter": None if per_fold[0].max_iters is None else per_fold[0].max_iters[e],
        "test": fold_scores(observed, data, scorers),
    }
    if checked is not None:
        p_only = [p.log_proba[e] for p in per_fold]
        row["verified"] = fold_scores(p_only, data, scorers, checked)
    return row


def checked_validation_rows(data: SearchData):
    """Per fold, the mask of its validation rows that were checked; ``None``
    without checked rows."""
    if data.verified is None:
        return None
    return [data.verified.mask[val] for _, val in data.folds]


def pooled_log_loss(per_fold, e, data: SearchData) -> float:
    """The out-of-fold log-loss of the stored ``p`` of the ``e``-th epsilon
    against the labels, over all validation rows (weighted)."""
    val_rows = data.validation_rows
    weights = data.sample_weight
    return -neg_log_loss_from_log_proba(
        np.concatenate([p.log_proba[e] for p in per_fold]),
        data.codes[val_rows],
        None if weights is None else weights[val_rows],
    )


def choice_temperature(per_fold, e, data: SearchData, transition=None) -> float:
    """The temperature of one candidate, fitted on all its out-of-fold
    log-probabilities (on ``p`` inside ``transition`` for forward smoothing;
    see :func:`fit_temperature`).

    Where some checked row disagrees with its label as given, the labels as
    given are noisy. Under forward smoothing the temperature is fitted to the
    score that made the choice: ``p`` against the verified class on the
    checked rows, ``p @ T`` against the label on the others (fitted to the
    checked rows alone, often a tenth of the data, it sharpens or softens by
    chance). With the targets smoothed, nothing models the noise of the
    unchecked labels: only the checked rows are fitted."""
    val_rows = data.validation_rows
    log_proba = np.concatenate([p.log_proba[e] for p in per_fold])
    folds = np.concatenate(
        [np.full(len(val), f) for f, (_, val) in enumerate(data.folds)]
    )
    weights = data.sample_weight
    if data.verified is not None and not data.verified.agree:
        checked = data.verified.mask[val_rows]
        if transition is None:
            val_rows, log_proba, folds = (
                val_rows[checked],
                log_proba[checked],
                folds[checked],
            )
        else:
            transition = combined_transitions(transition, folds, checked)
    elif isinstance(transition, list):
        # counted per fold on checked rows that all agree: the identity
        transition = None
    return fit_temperature(
        log_proba,
        data.codes[val_rows],
        None if weights is None else weights[val_rows],
        transition,
        groups=folds,
    )


def combined_transitions(transition, folds, checked) -> RowTransitions:
    """Each validation row's transition for the combined score: its fold's
    (``transition``: one matrix, or a list of one per fold), none on checked
    rows."""
    per_fold = [fold_spread(transition, f) for f in range(int(folds.max()) + 1)]
    index = np.where(checked, len(per_fold), folds)
    return RowTransitions(index, (*per_fold, None))


def format_results(rows, settings, scorers, n_folds: int) -> dict:
    """``cv_results_`` from the candidate rows (one per setting and epsilon),
    with ``GridSearchCV``'s columns and ranks."""
    single = list(scorers) == ["score"]

    def label(name):
        return "score" if single else name

    results = {"param_epsilon": np.array([r["epsilon"] for r in rows])}
    for param in sorted({k for setting in settings for k in setting}):
        column = np.ma.masked_all(len(rows), dtype=object)
        for i, r in enumerate(rows):
            if param in settings[r["setting"]]:
                column[i] = settings[r["setting"]][param]
        results[f"param_{param}"] = column
    results["params"] = [
        {"epsilon": r["epsilon"], **settings[r["setting"]]} for r in rows
    ]
    times = np.array([r["fit_time"] for r in rows])
    results["mean_fit_time"] = times.mean(axis=1)
    results["std_fit_time"] = times.std(axis=1)
    if any(r["max_iter"] is not None for r in rows):  # path_budget < 1 cut them
        results["max_iter"] = np.array([r["max_iter"] for r in rows])
    for scorer_name in scorers:
        scores = np.array([r["test"][scorer_name] for r in rows])  # (rows, folds)
        for i in range(n_folds):
            results[f"split{i}_test_{label(scorer_name)}"] = scores[:, i]
        results[f"mean_test_{label(scorer_name)}"] = scores.mean(axis=1)
        results[f"std_test_{label(scorer_name)}"] = scores.std(axis=1)
    for scorer_name in scorers:
        mean = results[f"mean_test_{label(scorer_name)}"]
        results[f"rank_test_{label(scorer_name)}"] = rank_scores(mean)
    if "verified" in rows[0]:  # p on the checked rows alone; folds without any: NaN
        for scorer_name in scorers:
            scores = np.array([r["verified"][scorer_name] for r in rows])
            for i in range(n_folds):
                results[f"split{i}_verified_{label(scorer_name)}"] = scores[:, i]
            mean, std = mean_and_std_of_scored(scores)
            results[f"mean_verified_{label(scorer_name)}"] = mean
            results[f"std_verified_{label(scorer_name)}"] = std
    return results


def mean_and_std_of_scored(scores):
    """Row means and standard deviations over the non-NaN entries of
    ``scores`` (NaN where a row has none), as ``np.nanmean`` / ``np.nanstd``
    without their warning for an empty row."""
    scored = ~np.isnan(scores)
    count = scored.sum(axis=1)
    values = np.where(scored, scores, 0.0)
    mean = np.full(scores.shape[0], np.nan)
    np.divide(values.sum(axis=1), count, out=mean, where=count > 0)
    deviations = np.where(scored, scores - mean[:, None], 0.0)
    std = np.full(scores.shape[0], np.nan)
    np.divide((deviations**2).sum(axis=1), count, out=std, where=count > 0)
    return mean, np.sqrt(std)


def rank_scores(mean) -> np.ndarray:
    """Ranks of mean scores, higher first; equal scores share the smallest
    rank and NaN ranks last, as in ``GridSearchCV``."""
    mean = np.where(np.isnan(mean), -np.inf, mean)
    return rankdata(-mean, method="min").astype(np.int32)


class Choice(NamedTuple):
    """What :func:`score_paths` chose."""

    index: int  # row of cv_results_
    setting: int  # index into the settings
    epsilon_index: int  # position in that setting's grid
    temperature: float


def score_paths(
    paths,
    grids,
    settings,
    data: SearchData,
    scorers,
    *,
    calibration,
    selection,
    transitions=None,
):
    """Score every candidate from the stored predictions; make the choice.

    ``transitions[s][e]``, for forward smoothing, is the transition matrix of
    setting ``s`` at its ``e``-th epsilon, or a list of one per fold (see
    :func:`candidate_scores`). With forward smoothing, the candidates whose
    ``p`` scores far worse than the unsmoothed one's are passed over (see
    :func:`p_loss_admissible`), whatever the transition: even a counted one,
    right about the noise, frees ``p`` from paying for confident mistakes.

    Returns
    -------
    results : dict
        ``cv_results_``.
    choice : Choice
    """
    rows = []
    for s, per_fold in enumerate(paths):
        for e, epsilon in enumerate(grids[s]):
            transition = None if transitions is None else transitions[s][e]
            row = candidate_scores(per_fold, e, data, scorers, transition)
            rows.append({"setting": s, "epsilon": float(epsilon), **row})
    results = format_results(rows, settings, scorers, len(data.folds))
    # The uncalibrated scores decide. A temperature fitted per candidate on the
    # scores it is judged by lets the choice wander among candidates that the
    # folds cannot tell apart; it is fitted for the choice, afterwards.
    first = "score" if list(scorers) == ["score"] else next(iter(scorers))
    candidate_settings = np.array([r["setting"] for r in rows])
    admissible = None
    if transitions is not None:  # forward smoothing: p must stay sane
        p_losses = [
            pooled_log_loss(per_fold, e, data)
            for per_fold, grid in zip(paths, grids, strict=True)
            for e in range(len(grid))
        ]
        admissible = p_loss_admissible(
            p_losses, results["param_epsilon"], candidate_settings
        )
    best = select_candidate(
        np.column_stack(
            [results[f"split{i}_test_{first}"] for i in range(len(data.folds))]
        ),
        results["param_epsilon"],
        candidate_settings,
        selection,
        admissible,
    )
    s_best = rows[best]["setting"]
    e_best = int(np.flatnonzero(grids[s_best] == rows[best]["epsilon"])[0])
    temperature = 1.0
    if calibration == "temperature":
        transition = None if transitions is None else transitions[s_best][e_best]
        temperature = choice_temperature(paths[s_best], e_best, data, transition)
    return results, Choice(int(best), s_best, e_best, float(temperature))
