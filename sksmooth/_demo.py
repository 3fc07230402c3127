"""The bundled demo: label smoothing on digits with noisy training labels."""

import sys

from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth._convergence import deferred_convergence_warnings
from sksmooth.datasets import flip_labels
from sksmooth.meta import LabelSmoothingClassifier
from sksmooth.metrics import expected_calibration_error
from sksmooth.neural_network import SoftMLPClassifier

EPSILONS = (0.0, 0.05, 0.1, 0.2)
NOISE = 0.2


def make_model(epsilon: float, random_state: int = 0):
    """The demo's model: scaling, then a smoothed one-hidden-layer network."""
    return make_pipeline(
        StandardScaler(),
        LabelSmoothingClassifier(
            SoftMLPClassifier(
                hidden_layer_sizes=(64,), max_iter=300, random_state=random_state
            ),
            epsilon=epsilon,
        ),
    )


def run_demo(epsilons=EPSILONS, *, noise=NOISE, random_state=0, progress=None):
    """Fit one model per epsilon on digits with noisy training labels.

    Parameters
    ----------
    epsilons : sequence of float
    noise : float
        Fraction of training labels replaced by another class.
    random_state : int
    progress : callable, default=None
        ``progress(done, total, text)`` after each model.

    Returns
    -------
    rows : list of dict
        ``epsilon``, ``accuracy``, ``log_loss``, ``ece`` on the clean test set,
        and the fitted ``model``.

    Examples
    --------
    >>> rows = run_demo(epsilons=(0.1,))
    >>> [row["epsilon"] for row in rows]
    [0.1]
    >>> all(0.6 < row["accuracy"] <= 1 for row in rows)
    True
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=random_state
    )
    y_noisy = flip_labels(y_train, noise, 10, random_state)
    rows = []
    for done, epsilon in enumerate(epsilons, start=1):
        # The iteration cap is part of the demo's fixed recipe: its convergence
        # messages are dropped (in this thread only; no warnings filter changes).
        with deferred_convergence_warnings():
            model = make_model(epsilon, random_state).fit(X_train, y_noisy)
        proba = model.predict_proba(X_test)
        rows.append(
            {
                "epsilon": epsilon,
                "accuracy": accuracy_score(y_test, model.predict(X_test)),
                "log_loss": log_loss(y_test, proba, labels=model.classes_),
                "ece": expected_calibration_error(y_test, proba, labels=model.classes_),
                "model": model,
                "X_test": X_test,
                "y_test": y_test,
            }
        )
        if progress is not None:
            progress(done, len(epsilons), f"epsilon={epsilon:g}")
    return rows


def format_table(rows) -> str:
    """The rows of :func:`run_demo` as a Markdown table."""
    lines = [
        "| epsilon | test accuracy | test log-loss | test ECE |",
        "|--------:|--------------:|--------------:|---------:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['epsilon']:.2f} | {row['accuracy']:.4f} | "
            f"{row['log_loss']:.4f} | {row['ece']:.4f} |"
        )
    return "\n".join(lines)


def text_progress(done: int, total: int, text: str, stream=sys.stderr) -> None:
    """A one-line progress bar on ``stream``."""
    filled = int(round(20 * done / total))
    end = "\n" if done == total else ""
    stream.write(
        f"\r[{'#' * filled}{'.' * (20 - filled)}] {done}/{total} {text}  {end}"
    )
    stream.flush()
