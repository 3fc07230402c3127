"""Reliability diagrams and ECE of an over-confident network, smoothed or not.
===========================================================================

A wide network with almost no penalty, trained on digits with 20 % noisy
labels, learns the noise and becomes over-confident; label smoothing keeps its
confidence closer to its accuracy.

Run it with::

    python examples/calibration.py [--output DIR]
"""

import matplotlib.pyplot as plt
from _example_utils import QUICK, parse_output, save
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth import LabelSmoothingClassifier, SoftMLPClassifier
from sksmooth.datasets import flip_labels
from sksmooth.metrics import classwise_calibration_error, expected_calibration_error
from sksmooth.plotting import ReliabilityDisplay

output = parse_output(__doc__)
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
y_noisy = flip_labels(y_train, 0.2, 10, random_state=0)
network = SoftMLPClassifier(
    (128,), alpha=1e-6, max_iter=50 if QUICK else 400, random_state=0
)

fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
for ax, epsilon in zip(axes, [0.0, 0.1], strict=True):
    model = make_pipeline(
        StandardScaler(), LabelSmoothingClassifier(network, epsilon=epsilon)
    ).fit(X_train, y_noisy)
    proba = model.predict_proba(X_test)
    ece = expected_calibration_error(y_test, proba, n_bins=10, labels=model.classes_)
    classwise = classwise_calibration_error(
        y_test, proba, n_bins=10, labels=model.classes_
    )
    print(
        f"epsilon={epsilon:g}: accuracy {model.score(X_test, y_test):.3f}, "
        f"mean confidence {proba.max(axis=1).mean():.3f}, ECE {ece:.3f}, "
        f"class-wise ECE {classwise:.3f}"
    )
    ReliabilityDisplay.from_estimator(
        model, X_test, y_test, n_bins=10, name=f"epsilon={epsilon:g}", ax=ax
    )
fig.tight_layout()
save(fig, output, "calibration.png")
