"""Fitting and predicting on dask arrays, against a real distributed cluster.

Oracles: the in-memory fit of the same estimator on the same data (the
distributed fit runs the same L-BFGS on the same objective, summed block by
block, so it must make the same iterates up to summation-order rounding), the
scheduler's own count of graph submissions, and the workers' own accounting of
the memory they hold.
"""

import contextlib
import copy
import subprocess
import sys
import warnings
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import dask  # noqa: E402
import joblib  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

import sksmooth._dask._objective  # noqa: E402
from devtools.dask_counts import CountSubmissions, submissions  # noqa: E402
from sksmooth import (  # noqa: E402
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
    SoftMLPClassifier,
    smooth_labels,
)
from sksmooth._dask._objective import DaskObjective  # noqa: E402

# Each worker may hold 8 MiB; the memory test's X is larger than that.
WORKER_MEMORY = 8 * 2**20


@pytest.fixture(scope="module")
def client():
    # In-process workers share the test process's memory, so the process-level
    # thresholds (spill, pause, terminate) would see the whole test process;
    # they are off, and the memory limit is checked against what each worker
    # holds (its managed memory).
    memory = {
        f"distributed.worker.memory.{key}": False
        for key in ("target", "spill", "pause", "terminate")
    }
    with (
        dask.config.set(memory),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            memory_limit=WORKER_MEMORY,
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.register_plugin(CountSubmissions())
        yield client


def data(n_samples=600, n_features=8, n_classes=3, seed=0):
    X, y = make_classification(
        n_samples,
        n_features,
        n_informative=5,
        n_classes=n_classes,
        random_state=seed,
    )
    return X, y


def as_dask(values, chunk_rows=150):
    """A dask array chunked by rows (and, for X, also by columns)."""
    if values.ndim == 2:
        return da.from_array(values, chunks=(chunk_rows, max(1, values.shape[1] // 2)))
    return da.from_array(values, chunks=chunk_rows)


def sparse_dask(X, chunk_rows=150):
    """X with CSR blocks, made on the workers with map_blocks."""
    dense = da.from_array(X, chunks=(chunk_rows, X.shape[1]))
    return dense.map_blocks(sp.csr_matrix, dtype=X.dtype, meta=sp.csr_matrix((0, 0)))


CASES = [
    # (layout, dtype, target kind, weighted, n_classes)
    ("dense", np.float64, "labels", False, 3),
    ("dense", np.float64, "soft", True, 3),
    ("dense", np.float64, "labels", True, 2),
    ("sparse", np.float64, "labels", True, 3),
    ("sparse", np.float64, "soft", False, 2),
    ("dense", np.float32, "labels", True, 3),
    ("sparse", np.float32, "soft", False, 3),
]


def case_data(layout, dtype, kind, weighted, n_classes):
    X, y = data(n_classes=n_classes)
    X = X.astype(dtype)
    rng = np.random.default_rng(0)
    X[rng.random(X.shape) < 0.3] = 0.0  # make the sparse case sparse
    target = y if kind == "labels" else smooth_labels(y, epsilon=0.2)
    weights = rng.uniform(0.1, 3.0, y.shape[0]) if weighted else None
    X_memory = sp.csr_matrix(X) if layout == "sparse" else X
    X_dask = sparse_dask(X) if layout == "sparse" else as_dask(X)
    target_dask = (
        da.from_array(target, chunks=(150, -1)) if target.ndim == 2 else as_dask(target)
    )
    weights_dask = None if weights is None else as_dask(weights)
    return (X_memory, target, weights), (X_dask, target_dask, weights_dask)


@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(map(str, case)))
def test_softmax_regression_equals_in_memory_fit(client, case):
    (X, y, w), (X_d, y_d, w_d) = case_data(*case)
    dtype = case[1]
    # float32 gradients carry rounding noise of ~1e-7 relative: a tol below
    # that makes the stopping point itself noise (in memory too), so float32
    # is compared at the default tol, to float32 rounding.
    tol, atol = (1e-6, 1e-8) if dtype == np.float64 else (1e-4, 1e-6)
    params = {"C": 0.5, "max_iter": 200, "tol": tol}
    memory = SoftmaxRegression(**params).fit(X, y, sample_weight=w)
    spread = SoftmaxRegression(**params).fit(X_d, y_d, sample_weight=w_d)

    assert spread.coef_.dtype == dtype
    assert abs(spread.n_iter_ - memory.n_iter_) <= 1
    np.testing.assert_allclose(spread.coef_, memory.coef_, rtol=0, atol=atol)
    np.testing.assert_allclose(spread.intercept_, memory.intercept_, rtol=0, atol=atol)
    np.testing.assert_array_equal(spread.classes_, memory.classes_)
    assert spread.n_features_in_ == memory.n_features_in_


@pytest.mark.parametrize(
    "case",
    [
        ("dense", np.float64, "labels", True, 3),
        ("sparse", np.float64, "soft", False, 2),
        ("dense", np.float32, "soft", True, 3),
    ],
    ids=lambda case: "-".join(map(str, case)),
)
def test_mlp_equals_in_memory_fit(client, case):
    (X, y, w), (X_d, y_d, w_d) = case_data(*case)
    params = {
        "hidden_layer_sizes": (6,),
        "activation": "tanh",
        "alpha": 1e-3,
        "max_iter": 40,
        "random_state": 0,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        memory = SoftMLPClassifier(**params).fit(X, y, sample_weight=w)
        spread = SoftMLPClassifier(**params).fit(X_d, y_d, sample_weight=w_d)
    # Same initial weights (same seed, same draws), same L-BFGS on the same
    # objective: the weights differ only by summation-order rounding that 40
    # iterations of a non-convex problem amplify. In float64 that stays far
    # below 1e-6; in float32 the block sums round at ~1e-7 relative and the
    # comparison is to float32 accuracy.
    atol = 1e-6 if case[1] == np.float64 else 2e-2
    assert spread.n_iter_ == memory.n_iter_
    for a, b in zip(
        spread.coefs_ + spread.intercepts_,
        memory.coefs_ + memory.intercepts_,
        strict=True,
    ):
        assert a.dtype == case[1]
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)
    assert spread.loss_ == pytest.approx(
        memory.loss_, rel=1e-6 if atol < 1e-3 else 1e-3
    )
    assert len(spread.loss_curve_) == len(memory.loss_curve_)


@pytest.mark.parametrize(
    "class_weight", ["balanced", {0: 3.0, 2: 0.5}], ids=["balanced", "dict"]
)
@pytest.mark.parametrize("kind", ["labels", "soft"])
def test_class_weight_equals_in_memory_fit(client, class_weight, kind):
    """Per-sample weights class_weight[y] * sample_weight, made block by block
    (for "balanced", from the classes' masses reduced with Dask)."""
    (X, y, w), (X_d, y_d, w_d) = case_data("dense", np.float64, kind, True, 3)
    # Unbalanced classes, so that "balanced" weighs them differently.
    labels = y if y.ndim == 1 else y.argmax(axis=1)
    keep = (labels != 2) | (np.arange(len(X)) % 3 == 0)
    X, y, w = X[keep], y[keep], w[keep]
    X_d, y_d, w_d = as_dask(X), as_dask(y), as_dask(w)
    if y.ndim == 2:
        y_d = da.from_array(y, chunks=(150, -1))
    params = {"C": 0.5, "tol": 1e-6, "max_iter": 200, "class_weight": class_weight}
    memory = SoftmaxRegression(**params).fit(X, y, sample_weight=w)
    spread = SoftmaxRegression(**params).fit(X_d, y_d, sample_weight=w_d)
    unweighted = SoftmaxRegression(**{**params, "class_weight": None}).fit(
        X, y, sample_weight=w
    )
    assert np.abs(memory.coef_ - unweighted.coef_).max() > 1e-2  # it matters
    assert abs(spread.n_iter_ - memory.n_iter_) <= 1
    np.testing.assert_allclose(spread.coef_, memory.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(spread.intercept_, memory.intercept_, rtol=0, atol=1e-8)

    if kind == "labels" and class_weight == "balanced":  # the network too
        params = {"hidden_layer_sizes": (5,), "alpha": 1e-3, "max_iter": 30}
        params.update(class_weight=class_weight, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            memory = SoftMLPClassifier(**params).fit(X, y, sample_weight=w)
            spread = SoftMLPClassifier(**params).fit(X_d, y_d, sample_weight=w_d)
        assert spread.n_iter_ == memory.n_iter_
        for a, b in zip(spread.coefs_, memory.coefs_, strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)

    if kind == "labels":  # weighted by the labelled class, before smoothing
        smoother = LabelSmoothingClassifier(epsilon=0.2, class_weight=class_weight)
        memory = smoother.fit(X, y, sample_weight=w).estimator_
        spread = LabelSmoothingClassifier(epsilon=0.2, class_weight=class_weight).fit(
            X_d, y_d, sample_weight=w_d
        )
        np.testing.assert_allclose(
            spread.estimator_.coef_, memory.coef_, rtol=0, atol=1e-8
        )


def test_predictions_are_lazy_and_equal_in_memory_predictions(client):
    X, y = data(n_classes=3)
    w = np.random.default_rng(1).uniform(0.5, 2.0, y.shape[0])
    model = SoftmaxRegression(max_iter=300).fit(X, y)
    X_d, y_d, w_d = as_dask(X), as_dask(y), as_dask(w)
    for method in (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
    ):
        lazy = getattr(model, method)(X_d)
        assert isinstance(lazy, da.Array), method
        np.testing.assert_allclose(lazy.compute(), getattr(model, method)(X))
    assert model.score(X_d, y_d) == pytest.approx(model.score(X, y), abs=1e-12)
    assert model.score(X_d, y_d, sample_weight=w_d) == pytest.approx(
        model.score(X, y, sample_weight=w), abs=1e-12
    )
    soft = smooth_labels(y, epsilon=0.2)  # scored against each row's argmax
    assert model.score(X_d, as_dask(soft)) == pytest.approx(model.score(X, y))
    mlp = SoftMLPClassifier((5,), max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    lazy = mlp.predict_proba(sparse_dask(X))
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), mlp.predict_proba(X))
    with pytest.raises(ValueError, match="expecting 8 features"):
        model.predict(as_dask(X[:, :5]))


@pytest.mark.parametrize("inline_bytes", [None, 0], ids=["inline", "coef-task"])
def test_one_graph_submission_per_evaluation(client, monkeypatch, inline_bytes):
    """Whether the parameters ride inside the block tasks (the default for
    small models) or travel as a task of their own: one graph per evaluation,
    and the in-memory fit's solution."""
    if inline_bytes is not None:
        monkeypatch.setattr(
            sksmooth._dask._objective, "INLINE_PARAMETER_BYTES", inline_bytes
        )
    X, y = data()
    X_d, y_d = as_dask(X, chunk_rows=60), as_dask(y, chunk_rows=60)  # 10 blocks
    calls = []
    evaluate = DaskObjective.__call__

    def counted(self, coef):
        calls.append(submissions(client))
        return evaluate(self, coef)

    monkeypatch.setattr(DaskObjective, "__call__", counted)
    before = submissions(client)
    spread = SoftmaxRegression(max_iter=200).fit(X_d, y_d)
    after = submissions(client)
    memory = SoftmaxRegression(max_iter=200).fit(X, y)
    np.testing.assert_allclose(spread.coef_, memory.coef_, rtol=0, atol=1e-8)
    n_evaluations = len(calls)
    assert n_evaluations > 5
    # Between two evaluations exactly one graph reached the scheduler...
    assert np.all(np.diff(calls) == 1)
    # ...and the whole fit adds a fixed set-up (classes, blocks, weight sums).
    setup = after - before - n_evaluations
    assert setup == 3


def test_fit_on_data_larger_than_a_worker_memory_limit(client):
    """X is made lazily on the workers and never reaches the client whole.

    The workers run in this process, so their memory limit is bookkeeping (the
    process-level thresholds are off, see the fixture); what is checked is
    what each worker holds, by dask's own accounting.
    """
    n_samples, n_features, chunk = 32_000, 40, 4_000
    state = da.random.RandomState(0)
    X = state.standard_normal((n_samples, n_features), chunks=(chunk, n_features))
    W = np.random.default_rng(0).normal(size=(n_features, 3))
    y = X.map_blocks(
        lambda block: np.argmax(block @ W, axis=1), drop_axis=1, dtype=np.intp
    )
    assert X.nbytes > WORKER_MEMORY

    model = SoftmaxRegression(max_iter=10, tol=1e-8)
    held = []
    evaluate = DaskObjective.__call__

    def measured(self, coef):
        held.append(
            client.run(
                lambda dask_worker: sum(
                    dask.sizeof.sizeof(value) for value in dask_worker.data.values()
                )
            )
        )
        return evaluate(self, coef)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        DaskObjective.__call__ = measured
        try:
            model.fit(X, y)
        finally:
            DaskObjective.__call__ = evaluate
        # The workers held all of X between them, neither all of it. (Which
        # worker gets how many blocks is the scheduler's choice: on a loaded
        # machine one worker has taken 6 of the 8.)
        for per_worker in held:
            assert len(per_worker) == 2
            assert sum(per_worker.values()) > X.nbytes
            assert max(per_worker.values()) < X.nbytes
        reference = SoftmaxRegression(max_iter=10, tol=1e-8).fit(
            X.compute(), y.compute()
        )
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-8)


@contextlib.contextmanager
def own_cluster():
    """A cluster of its own, with one in-process worker, to lose it mid-fit.

    While it is open its client is the default client; the module's client is
    the default again when it closes.
    """
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield cluster, client


def replace_the_worker(cluster, client):
    """Start a second worker, then close the first, which holds every block.

    Called from a hook on ``DaskObjective.__call__``, between two evaluations
    of a fit: the next evaluation needs blocks that only the closed worker
    held. (With two workers from the start, the scheduler may have copied a
    small block to both, and losing one would lose nothing.) Returns the
    closed worker's address.
    """
    (first,) = cluster.workers.values()
    cluster.scale(2)
    client.wait_for_workers(2)
    client.sync(first.close)
    return first.address


def fitted_state(estimator):
    """Every attribute of ``estimator``, deep-copied (arrays and lists too)."""
    return copy.deepcopy(vars(estimator))


def assert_same_state(after, before):
    assert after.keys() == before.keys()
    for name, value in before.items():
        if isinstance(value, list):
            assert len(after[name]) == len(value), name
            for a, b in zip(after[name], value, strict=True):
                np.testing.assert_array_equal(a, b, err_msg=name)
        elif isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[name], value, err_msg=name)
        elif hasattr(value, "get_params"):
            assert_same_state(vars(after[name]), vars(value))
        else:
            assert after[name] == value, name


def test_a_worker_lost_mid_fit_is_recovered_from_the_graph(monkeypatch):
    """Blocks with lineage (here ``from_array``) are rebuilt on the survivor.

    The block objectives of the lost worker are recomputed from their graph
    by the scheduler; the fit goes on with the same iterates, so it ends at
    the in-memory fit's solution.
    """
    X, y = data()
    memory = SoftmaxRegression(max_iter=200).fit(X, y)
    evaluate = DaskObjective.__call__
    seen = {"closed": None, "after": 0}
    with own_cluster() as (cluster, client):

        def hooked(self, coef):
            if self.n_evaluations == 2:
                seen["closed"] = replace_the_worker(cluster, client)
            elif seen["closed"] is not None:
                seen["after"] += 1
            return evaluate(self, coef)

        monkeypatch.setattr(DaskObjective, "__call__", hooked)
        spread = SoftmaxRegression(max_iter=200).fit(as_dask(X), as_dask(y))
        assert seen["closed"] is not None
        # The closed worker is gone; the other rebuilt its blocks...
        assert seen["closed"] not in client.scheduler_info()["workers"]
        assert seen["after"] > 3  # ...and the fit went on past it
    assert spread.n_iter_ == memory.n_iter_
    np.testing.assert_allclose(spread.coef_, memory.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(spread.intercept_, memory.intercept_, rtol=0, atol=1e-8)


@pytest.mark.parametrize(
    "make",
    [
        lambda: SoftmaxRegression(max_iter=50),
        lambda: SoftMLPClassifier((4,), max_iter=20, random_state=0),
        lambda: LabelSmoothingClassifier(SoftmaxRegression(max_iter=50)),
    ],
    ids=["SoftmaxRegression", "SoftMLPClassifier", "LabelSmoothingClassifier"],
)
def test_a_worker_lost_with_unrecoverable_data_raises_and_keeps_the_fit(
    make, monkeypatch
):
    """Scattered blocks have no lineage: losing them fails the fit, which
    raises and leaves every attribute of the previous fit as it was."""
    X, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # The previous fit, on other data, so that a partial update would show.
        model = make().fit(X[:300, :] * 2.0, y[:300] + 10)
    before = fitted_state(model)
    evaluate = DaskObjective.__call__
    with own_cluster() as (cluster, client):
        # Blocks put on the workers by the client: dask cannot recompute them.
        blocks = client.scatter([X[i : i + 150] for i in range(0, 600, 150)])
        X_d = da.concatenate(
            [da.from_delayed(block, (150, 8), dtype=X.dtype) for block in blocks]
        )
        closed = []

        def hooked(self, coef):
            if self.n_evaluations == 2:
                closed.append(replace_the_worker(cluster, client))
            return evaluate(self, coef)

        monkeypatch.setattr(DaskObjective, "__call__", hooked)
        with pytest.raises(distributed.client.FutureCancelledError, match="lost"):
            model.fit(X_d, as_dask(y))
        assert len(closed) == 1  # the loss happened mid-fit, as arranged
    assert_same_state(fitted_state(model), before)


def test_local_scheduler_without_client_gives_the_same_fit(client):
    X, y = data()
    memory = SoftmaxRegression().fit(X, y)
    with dask.config.set(scheduler="threads"):
        before = submissions(client)
        local = SoftmaxRegression().fit(as_dask(X), as_dask(y))
        assert submissions(client) == before  # nothing went to the cluster
    np.testing.assert_allclose(local.coef_, memory.coef_, rtol=0, atol=1e-8)


def test_label_smoothing_classifier_on_dask(client):
    X, y = data(n_classes=3)
    labels = np.array(["ant", "bee", "cat"])[y]
    w = np.random.default_rng(2).uniform(0.2, 2.0, y.shape[0])
    for method, inner in [
        ("prior", SoftmaxRegression(max_iter=300)),
        ("uniform", SoftMLPClassifier((4,), max_iter=30, random_state=0)),
    ]:
        smoother = LabelSmoothingClassifier(inner, epsilon=0.2, method=method)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            memory = smoother.fit(X, labels, sample_weight=w)
            memory_proba = memory.predict_proba(X)
            memory_prior = memory.class_prior_
            spread = LabelSmoothingClassifier(inner, epsilon=0.2, method=method).fit(
                as_dask(X), as_dask(labels), sample_weight=as_dask(w)
            )
        np.testing.assert_array_equal(spread.classes_, ["ant", "bee", "cat"])
        np.testing.assert_allclose(spread.class_prior_, memory_prior, rtol=1e-12)
        lazy = spread.predict_proba(as_dask(X))
        assert isinstance(lazy, da.Array)
        np.testing.assert_allclose(lazy.compute(), memory_proba, rtol=0, atol=1e-6)
        predicted = spread.predict(as_dask(X)).compute()
        np.testing.assert_array_equal(predicted, memory.predict(X))
        assert spread.score(as_dask(X), as_dask(labels)) == pytest.approx(
            memory.score(X, labels)
        )

    # Soft targets are smoothed block by block too.
    soft = smooth_labels(y, epsilon=0.1)
    memory = LabelSmoothingClassifier(epsilon=0.1).fit(X, soft)
    spread = LabelSmoothingClassifier(epsilon=0.1).fit(
        as_dask(X), da.from_array(soft, chunks=(150, -1))
    )
    np.testing.assert_allclose(
        spread.estimator_.coef_, memory.estimator_.coef_, rtol=0, atol=1e-8
    )


def test_expansion_path_refuses_dask_input(client):
    X, y = data()
    smoother = LabelSmoothingClassifier(HistGradientBoostingClassifier())
    with pytest.raises(TypeError, match="SoftmaxRegression and SoftMLPClassifier"):
        smoother.fit(as_dask(X), as_dask(y))
    assert not hasattr(smoother, "estimator_")
    with pytest.raises(ValueError, match="cannot route fit parameters"):
        LabelSmoothingClassifier().fit(as_dask(X), as_dask(y), groups=y)
    with pytest.raises(ValueError, match="class_weight must be None"):
        LabelSmoothingClassifier(class_weight="even").fit(as_dask(X), as_dask(y))


def test_bad_input_raises_and_leaves_the_estimator_unchanged(client):
    X, y = data()
    model = SoftmaxRegression().fit(X, y)
    coef = model.coef_.copy()
    X_d, y_d = as_dask(X), as_dask(y)

    unknown = X_d[X_d[:, 0] > -np.inf]  # a boolean filter: NaN row counts
    with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\)"):
        model.fit(unknown, y_d)
    with pytest.raises(ValueError, match="y has shape"):
        model.fit(X_d, y_d[:-1])
    with pytest.raises(ValueError, match=r"non-negative, got the value -1\.0\."):
        model.fit(X_d, y_d, sample_weight=as_dask(-np.ones(y.shape[0])))
    with pytest.raises(ValueError, match="sums to zero"):
        model.fit(X_d, y_d, sample_weight=np.zeros(y.shape[0]))
    X_nan = X.copy()
    X_nan[-1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(as_dask(X_nan), y_d)
    bad_soft = smooth_labels(y, epsilon=0.1) * 1.5
    with pytest.raises(ValueError, match="sum to one"):
        model.fit(X_d, da.from_array(bad_soft, chunks=(150, -1)))
    with pytest.raises(ValueError, match="at least 2 classes"):
        model.fit(X_d, da.zeros(y.shape[0], chunks=150, dtype=int))
    with pytest.raises(ValueError, match="Unknown label type"):
        model.fit(X_d, as_dask(np.linspace(0, 1, y.shape[0])))
    with pytest.raises(ValueError, match="2-D"):
        model.fit(da.ones((10, 2, 2)), np.arange(10) % 2)
    with pytest.raises(ValueError, match="C must be > 0"):
        SoftmaxRegression(C=-1.0).fit(X_d, y_d)
    model.solver = "newton-cg"  # not supported on dask yet: refused
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        model.fit(X_d, y_d)
    model.solver = "lbfgs"
    model.class_weight = {7: 2.0}  # a class y does not have
    with pytest.raises(ValueError, match="not among the classes"):
        model.fit(X_d, y_d)
    model.class_weight = {0: 0.0, 1: 0.0, 2: 0.0}
    with pytest.raises(ValueError, match="gives every sample weight zero"):
        model.fit(X_d, y_d)
    model.class_weight = None
    np.testing.assert_array_equal(model.coef_, coef)


def test_misaligned_chunks_are_realigned(client):
    """y and weights chunked differently from X (or NumPy) give the same fit."""
    X, y = data()
    w = np.random.default_rng(3).uniform(0.5, 2.0, y.shape[0])
    expected = SoftmaxRegression().fit(X, y, sample_weight=w)
    X_d = da.from_array(X, chunks=(100, 3))
    for y_in, w_in in [
        (da.from_array(y, chunks=170), da.from_array(w, chunks=230)),
        (y, w),
    ]:
        model = SoftmaxRegression().fit(X_d, y_in, sample_weight=w_in)
        np.testing.assert_allclose(model.coef_, expected.coef_, rtol=0, atol=1e-8)


def test_grid_search_under_the_joblib_dask_backend(client):
    X, y = data(n_samples=300)
    grid = {"C": [0.1, 1.0]}
    local = GridSearchCV(SoftmaxRegression(), grid, cv=3).fit(X, y)
    before = submissions(client)
    with joblib.parallel_config(backend="dask"):
        spread = GridSearchCV(SoftmaxRegression(), grid, cv=3, n_jobs=2).fit(X, y)
    assert submissions(client) > before  # the fits ran on the cluster
    np.testing.assert_allclose(
        spread.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert spread.best_params_ == local.best_params_


class CountedPickles(np.ndarray):
    """An array that counts how often it is pickled (into a task, to ship).

    The in-process workers share this process, so data sent to them with
    ``client.scatter`` is never pickled, while data embedded in a task is
    pickled with the task's graph: zero pickles means X never rode inside a
    task, and the client's scatter calls say how often it was sent.
    """

    pickles = 0

    def __reduce_ex__(self, protocol):
        type(self).pickles += 1
        return super().__reduce_ex__(protocol)


def _rows_of(args, i):
    return args[0].shape[0] + i


def test_search_on_the_dask_backend_scatters_the_training_data_once(
    client, monkeypatch
):
    """joblib's dask backend scatters each large top-level argument once per
    ``Parallel`` call and passes its future to every task; our searches (and
    scikit-learn's) pass X and y at the top level, so they are sent once."""
    X, y = data(n_samples=300)
    X = X.view(CountedPickles)
    sent = []
    scatter = client.scatter

    def counted_scatter(values, *args, **kwargs):
        sent.append(values)
        return scatter(values, *args, **kwargs)

    monkeypatch.setattr(client, "scatter", counted_scatter)

    def sends(fit):
        CountedPickles.pickles = 0
        sent.clear()
        before = submissions(client)
        with joblib.parallel_config(backend="dask"):
            fitted = fit()
        assert submissions(client) > before  # the tasks ran on the cluster
        times_X = sum(values is X for values in sent)
        # X and the labels (y, or their codes), nothing else of n rows: the
        # folds' row indices are shorter.
        row_sized = sum(getattr(values, "shape", (0,))[0] == 300 for values in sent)
        return fitted, times_X, row_sized, CountedPickles.pickles

    # The oracle sees data that rides inside the tasks: X nested in a tuple
    # is not scattered by joblib, so it is pickled into each of the 6 tasks.
    _, times_X, _, pickles = sends(
        lambda: joblib.Parallel(n_jobs=2)(
            joblib.delayed(_rows_of)((X,), i) for i in range(6)
        )
    )
    assert (times_X, pickles >= 6) == (0, True)

    search = LabelSmoothingClassifierCV(epsilons=3, cv=3, n_jobs=2)
    spread, times_X, row_sized, pickles = sends(lambda: search.fit(X, y))
    assert (times_X, row_sized, pickles) == (1, 2, 0)
    local = LabelSmoothingClassifierCV(epsilons=3, cv=3).fit(X, y)
    assert spread.best_params_ == local.best_params_
    np.testing.assert_allclose(
        spread.cv_results_["mean_test_score"],
        local.cv_results_["mean_test_score"],
        rtol=1e-10,
    )

    for estimator, grid in [
        (SoftmaxRegression(), {"C": [0.1, 1.0]}),
        (LabelSmoothingClassifier(), {"epsilon": [0.0, 0.1]}),
    ]:
        grid_search = GridSearchCV(estimator, grid, cv=3, n_jobs=2)
        _, times_X, row_sized, pickles = sends(partial(grid_search.fit, X, y))
        assert (times_X, row_sized, pickles) == (1, 2, 0), type(estimator).__name__


def test_dask_is_imported_only_when_a_dask_array_arrives():
    code = (
        "import sys, numpy as np\n"
        "from sksmooth import LabelSmoothingClassifier, SoftmaxRegression\n"
        "X = np.random.default_rng(0).normal(size=(30, 3))\n"
        "y = np.arange(30) % 3\n"
        "model = LabelSmoothingClassifier(SoftmaxRegression()).fit(X, y)\n"
        "model.predict_proba(X), model.score(X, y)\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(top & {'dask', 'distributed'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"


def test_dask_dataframe_is_refused_with_the_conversion_to_use(client):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = data(n_samples=40)
    frame = dd.from_pandas(pd.DataFrame(X), npartitions=2)
    with pytest.raises(TypeError, match=r"to_dask_array\(lengths=True\)"):
        SoftmaxRegression().fit(frame, y)


@pytest.mark.parametrize("learner", ["linear", "mlp"])
def test_smooth_predictions_on_dask_equals_in_memory(client, learner):
    """Forward smoothing: the transition reaches every block's loss."""
    (X, y, w), (X_d, y_d, w_d) = case_data("dense", np.float64, "labels", True, 3)
    inner = (
        SoftmaxRegression(C=0.5, tol=1e-8)
        if learner == "linear"
        else SoftMLPClassifier((5,), random_state=0, max_iter=30)
    )
    params = {"epsilon": 0.3, "smooth": "predictions"}
    memory = LabelSmoothingClassifier(inner, **params).fit(X, y, sample_weight=w)
    spread = LabelSmoothingClassifier(inner, **params).fit(X_d, y_d, sample_weight=w_d)
    np.testing.assert_allclose(
        spread.predict_proba(X), memory.predict_proba(X), rtol=0, atol=1e-6
    )
    targets = LabelSmoothingClassifier(inner, epsilon=0.3).fit(X, y, sample_weight=w)
    assert np.abs(targets.predict_proba(X) - memory.predict_proba(X)).max() > 1e-3


@pytest.mark.parametrize(
    "model, parameter",
    [
        (SoftmaxRegression(), "verified"),
        (SoftMLPClassifier(max_iter=5), "verified"),
        (LabelSmoothingClassifier(smooth="predictions"), "y_verified"),
    ],
    ids=["softmax", "mlp", "meta"],
)
def test_checked_rows_are_refused_on_dask_input(client, model, parameter):
    X, y = data()
    checked = np.arange(y.shape[0]) % 5 == 0
    value = np.where(checked, y, None) if parameter == "y_verified" else checked
    with pytest.raises(ValueError, match=f"cannot take {parameter} on dask arrays"):
        model.fit(as_dask(X), as_dask(y), **{parameter: value})
    assert not hasattr(model, "classes_")
