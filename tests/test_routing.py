"""Metadata routing through LabelSmoothingClassifier.fit.

scikit-learn's consumer-estimator pattern: small classifiers defined here
record what their ``fit`` receives; routing is switched on with
``sklearn.config_context(enable_metadata_routing=True)``.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_wine
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.metrics import make_scorer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
    smooth_labels,
)
from tests.helpers import load_scaled


class RecordingClassifier(ClassifierMixin, BaseEstimator):
    """Takes labels and sample weights (the expansion path); records its fit."""

    def fit(self, X, y, sample_weight=None, metadata=None):
        self.received_ = {"y": y, "sample_weight": sample_weight, "metadata": metadata}
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


class RecordingSoftClassifier(RecordingClassifier):
    """Declares that it takes soft targets (the native path)."""

    __sksmooth_soft_targets__ = True

    def fit(self, X, y, sample_weight=None, metadata=None):
        super().fit(X, y, sample_weight, metadata)
        self.classes_ = np.arange(np.shape(y)[1])
        return self


def test_native_path_receives_requested_metadata():
    X, y = load_scaled("wine")
    weights = np.random.default_rng(0).uniform(0.5, 2, len(y))
    metadata = np.arange(len(y)) * 10
    with config_context(enable_metadata_routing=True):
        inner = RecordingSoftClassifier().set_fit_request(
            sample_weight=True, metadata=True
        )
        model = LabelSmoothingClassifier(inner, epsilon=0.1).fit(
            X, y, sample_weight=weights, metadata=metadata
        )
    received = model.estimator_.received_
    assert_array_equal(received["metadata"], metadata)
    assert_array_equal(received["sample_weight"], weights)
    assert_allclose(received["y"], smooth_labels(y, epsilon=0.1))
    assert_allclose(model.class_prior_, np.bincount(y, weights) / weights.sum())


@pytest.mark.parametrize("container", [np.asarray, list, sp.csr_matrix])
def test_expansion_path_repeats_per_sample_metadata_with_its_rows(container):
    X, y = load_scaled("wine")
    weights = np.random.default_rng(1).uniform(0.5, 2, len(y))
    metadata = np.arange(len(y)) * 10
    given = (
        container(metadata.reshape(-1, 1))
        if container is sp.csr_matrix
        else (container(metadata))
    )
    with config_context(enable_metadata_routing=True):
        inner = RecordingClassifier().set_fit_request(sample_weight=True, metadata=True)
        model = LabelSmoothingClassifier(inner, epsilon=0.3).fit(
            X, y, sample_weight=weights, metadata=given
        )
    received = model.estimator_.received_
    if container is sp.csr_matrix:
        received["metadata"] = received["metadata"].toarray().ravel()
    rows = np.repeat(np.arange(len(y)), 3)  # uniform smoothing: every class
    labels = np.tile(np.arange(3), len(y))
    Y = smooth_labels(y, epsilon=0.3)
    assert_array_equal(received["metadata"], metadata[rows])
    assert_array_equal(received["y"], labels)
    assert_allclose(received["sample_weight"], weights[rows] * Y[rows, labels])


def test_sample_weight_not_requested_still_weights_the_prior_only():
    X, y = load_scaled("wine")
    weights = np.where(y == 0, 5.0, 1.0)
    with config_context(enable_metadata_routing=True):
        inner = RecordingSoftClassifier().set_fit_request(sample_weight=False)
        model = LabelSmoothingClassifier(inner, method="prior").fit(
            X, y, sample_weight=weights
        )
    assert model.estimator_.received_["sample_weight"] is None
    assert_allclose(model.class_prior_, np.bincount(y, weights) / weights.sum())
    # class weights still reach the inner estimator, without the sample weights
    with config_context(enable_metadata_routing=True):
        model.set_params(class_weight={0: 2.0}).fit(X, y, sample_weight=weights)
    assert_array_equal(
        model.estimator_.received_["sample_weight"], np.where(y == 0, 2.0, 1.0)
    )


def test_unrequested_metadata_raises_scikit_learns_routing_error():
    X, y = load_scaled("wine")
    with config_context(enable_metadata_routing=True):
        model = LabelSmoothingClassifier(RecordingSoftClassifier())
        with pytest.raises(UnsetMetadataPassedError, match=r"\[metadata\]"):
            model.fit(X, y, metadata=np.arange(len(y)))
        with pytest.raises(UnsetMetadataPassedError, match=r"\[sample_weight\]"):
            model.fit(X, y, sample_weight=np.ones(len(y)))
        with pytest.raises(TypeError, match="not routed to any object"):
            model.fit(X, y, colour=np.arange(len(y)))
    assert not hasattr(model, "estimator_")


def test_without_routing_extra_fit_parameters_are_refused():
    X, y = load_scaled("wine")
    model = LabelSmoothingClassifier(RecordingSoftClassifier())
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        model.fit(X, y, metadata=np.arange(len(y)))
    assert not hasattr(model, "estimator_")
    # and sample_weight reaches the inner estimator as it always did
    weights = np.linspace(1, 2, len(y))
    model.fit(X, y, sample_weight=weights)
    assert_array_equal(model.estimator_.received_["sample_weight"], weights)


def test_routed_through_a_pipeline_equals_a_direct_fit():
    X, y = load_wine(return_X_y=True)
    weights = np.random.default_rng(2).uniform(0.5, 2, len(y))
    direct = make_pipeline(
        StandardScaler(), LabelSmoothingClassifier(method="prior", epsilon=0.2)
    )
    direct.fit(X, y, labelsmoothingclassifier__sample_weight=weights)
    with config_context(enable_metadata_routing=True):
        inner = SoftmaxRegression().set_fit_request(sample_weight=True)
        meta = LabelSmoothingClassifier(inner, method="prior", epsilon=0.2)
        routed = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            meta.set_fit_request(sample_weight=True),
        ).fit(X, y, sample_weight=weights)
    assert_array_equal(routed[-1].class_prior_, direct[-1].class_prior_)
    assert_allclose(routed.predict_proba(X), direct.predict_proba(X), atol=1e-12)


def test_the_cv_refuses_extra_fit_parameters_as_the_meta_estimator_does():
    # ValueError in both, as scikit-learn's own meta-estimators without routing
    X, y = load_scaled("wine")
    search = LabelSmoothingClassifierCV(epsilons=[0.0, 0.1], cv=3)
    with pytest.raises(ValueError, match="enable_metadata_routing=True"):
        search.fit(X, y, metadata=np.arange(len(y)))
    assert not hasattr(search, "estimator_")
    # with routing, metadata the inner estimator asks for cannot reach it: each
    # fold's fit gets only the smoothed targets and the weights
    with config_context(enable_metadata_routing=True):
        inner = RecordingSoftClassifier().set_fit_request(metadata=True)
        search = LabelSmoothingClassifierCV(inner, epsilons=[0.0, 0.1], cv=3)
        with pytest.raises(ValueError, match=r"\['metadata'\] cannot be passed"):
            search.fit(X, y, metadata=np.arange(len(y)))
    assert not hasattr(search, "estimator_")


def test_the_cv_routes_metadata_to_every_scorer_it_uses():
    """With several scorers, the router declares each of them: metadata that
    one of them requests reaches it, fold by fold."""
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    seen = []

    def marked_accuracy(y_true, y_pred, marker):
        seen.append(np.asarray(marker))
        return float(np.mean(y_true == y_pred))

    marker = np.arange(len(y))
    with config_context(enable_metadata_routing=True):
        scorer = make_scorer(marked_accuracy).set_score_request(marker=True)
        LabelSmoothingClassifierCV(
            epsilons=[0.0, 0.1],
            cv=3,
            scoring={"log_loss": "neg_log_loss", "m": scorer},
            param_grid=None,
        ).fit(X, y, marker=marker)
    folds = list(StratifiedKFold(3).split(X, y))
    # one call per epsilon and fold (folds inner), each with the fold's rows
    assert len(seen) == 2 * 3
    for i, (_, val) in enumerate(folds):
        assert_array_equal(seen[i], marker[val])
        assert_array_equal(seen[3 + i], marker[val])


def test_both_estimators_name_themselves_as_the_routers_owner():
    for estimator in (LabelSmoothingClassifier(), LabelSmoothingClassifierCV()):
        assert estimator.get_metadata_routing().owner is estimator
