"""The command line: ``sksmooth`` (also ``python -m sksmooth``).

- ``sksmooth [--output DIR]``: the bundled demo (digits with noisy labels).
- ``sksmooth fit data.csv --target COLUMN [--model softmax|mlp]
  [--epsilons 0,0.05,0.1,0.2] [--cv 5] [--save model.skops]``: cross-validate
  every epsilon on a CSV or Parquet table, print the table, refit the best.
- ``sksmooth predict model.skops data.csv [--proba] [--output predictions.csv]``.

Exit codes: 0 success, 1 a failure (missing file or column, unusable data,
unreadable model), 2 a usage error (argparse's own). A user's mistake prints
one ``error:`` line, never a traceback. ``fit`` and ``predict`` need the
``cli`` extra (pandas, skops, pyarrow for Parquet): ``pip install "sksmooth[cli]"``.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

# Types outside sksmooth that a model from ``fit`` holds and skops does not know.
TRUSTED_EXTRA = frozenset({"numpy.dtype"})


class CLIError(Exception):
    """A failure reported as one line, exit code 1."""


def main(argv=None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "fit":
            return fit_command(args)
        if args.command == "predict":
            return predict_command(args)
        return demo_command(args)
    except CLIError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sksmooth",
        description="Label smoothing for scikit-learn. Without a command, runs "
        "the bundled demo (digits with 20%% noisy training labels).",
    )
    parser.add_argument(
        "--output", type=Path, help="demo: save a reliability figure in this folder"
    )
    commands = parser.add_subparsers(dest="command")

    fit = commands.add_parser("fit", help="cross-validate epsilons on a table")
    fit.add_argument("data", type=Path, help="a .csv or .parquet file")
    fit.add_argument("--target", required=True, help="the label column")
    fit.add_argument("--model", choices=["softmax", "mlp"], default="softmax")
    fit.add_argument(
        "--epsilons",
        type=parse_epsilons,
        default=(0.0, 0.05, 0.1, 0.2),
        help="comma-separated, e.g. 0,0.05,0.1,0.2",
    )
    fit.add_argument("--cv", type=positive_int, default=5, help="folds (>= 2)")
    fit.add_argument("--save", type=Path, help="write the refitted model (skops)")

    predict = commands.add_parser("predict", help="predict with a saved model")
    predict.add_argument("model", type=Path, help="a .skops file from 'fit --save'")
    predict.add_argument("data", type=Path, help="a .csv or .parquet file")
    predict.add_argument("--proba", action="store_true", help="add probabilities")
    predict.add_argument("--output", type=Path, help="CSV to write (default stdout)")
    return parser


def parse_epsilons(text: str):
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or any(not 0 <= value < 1 for value in values):
        raise argparse.ArgumentTypeError(f"epsilons must lie in [0, 1), got {text!r}")
    return values


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"needs at least 2 folds, got {value}")
    return value


def demo_command(args) -> int:
    from sksmooth._demo import NOISE, format_table, run_demo, text_progress

    print(
        f"Label smoothing on digits, {NOISE:.0%} of the training labels replaced by "
        "another class;\nscores on the clean 30% test set. Model: StandardScaler + "
        "LabelSmoothingClassifier(SoftMLPClassifier((64,))).\n"
    )
    rows = run_demo(progress=text_progress)
    print(format_table(rows))
    if args.output is not None:
        path = save_reliability_figure(rows, args.output)
        print(f"\nreliability diagram: {path}")
    return 0


def save_reliability_figure(rows, folder: Path) -> Path:
    """Reliability diagrams at epsilon = 0 and at the best epsilon (lowest
    log-loss), side by side."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CLIError(
            'saving a figure needs matplotlib: pip install "sksmooth[plot]"'
        ) from None
    from sksmooth.plotting import ReliabilityDisplay

    folder.mkdir(parents=True, exist_ok=True)
    chosen = [rows[0], min(rows[1:] or rows, key=lambda row: row["log_loss"])]
    fig, axes = plt.subplots(1, len(chosen), figsize=(5 * len(chosen), 4.5))
    for ax, row in zip(np.atleast_1d(axes), chosen, strict=True):
        ReliabilityDisplay.from_estimator(
            row["model"],
            row["X_test"],
            row["y_test"],
            n_bins=10,
            name=f"epsilon={row['epsilon']:g}",
            ax=ax,
        )
    fig.tight_layout()
    path = folder / "reliability.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def read_table(path: Path):
    """A pandas DataFrame from a CSV or Parquet file."""
    pd = _import_pandas()
    if not path.exists():
        raise CLIError(f"no such file: {path}")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except Exception as error:  # pandas raises many kinds for unreadable files
        raise CLIError(f"cannot read {path}: {error}") from None


def build_pipeline(frame, model_name: str, epsilon: float):
    """Impute, scale numeric and one-hot encode categorical columns, then smooth."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from sksmooth import LabelSmoothingClassifier, SoftmaxRegression, SoftMLPClassifier

    numeric = frame.select_dtypes(include="number").columns.tolist()
    categorical = [column for column in frame.columns if column not in numeric]
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    learner = (
        SoftMLPClassifier(random_state=0)
        if model_name == "mlp"
        else SoftmaxRegression(max_iter=1000)
    )
    return make_pipeline(preprocess, LabelSmoothingClassifier(learner, epsilon=epsilon))


def fit_command(args) -> int:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import make_scorer
    from sklearn.model_selection import StratifiedKFold, cross_validate

    from sksmooth.metrics import expected_calibration_error

    if args.save is not None:
        _import_skops()  # fail before the cross-validation, not after it
    frame = read_table(args.data)
    if args.target not in frame.columns:
        raise CLIError(
            f"no column {args.target!r} in {args.data}; columns are "
            f"{', '.join(map(str, frame.columns))}"
        )
    y = frame[args.target]
    if y.isna().any():
        raise CLIError(f"the target column {args.target!r} has missing values")
    X = frame.drop(columns=[args.target])
    counts = y.value_counts()
    if len(counts) < 2:
        raise CLIError(
            f"the target column {args.target!r} holds one class only "
            f"({counts.index[0]!r}); classification needs at least two"
        )
    if counts.min() < args.cv:
        raise CLIError(
            f"the rarest class has {counts.min()} rows, fewer than --cv {args.cv}"
        )
    scoring = {
        "accuracy": "accuracy",
        "log_loss": "neg_log_loss",
        "ece": make_scorer(
            expected_calibration_error,
            greater_is_better=False,
            response_method="predict_proba",
        ),
    }
    folds = StratifiedKFold(args.cv, shuffle=True, random_state=0)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epsilon in args.epsilons:
            try:
                scores = cross_validate(
                    build_pipeline(X, args.model, epsilon),
                    X,
                    y,
                    cv=folds,
                    scoring=scoring,
                )
            except ValueError as error:
                raise CLIError(f"cannot fit epsilon={epsilon:g}: {error}") from None
            rows.append(
                {
                    "epsilon": epsilon,
                    "accuracy": scores["test_accuracy"].mean(),
                    "log_loss": -scores["test_log_loss"].mean(),
                    "ece": -scores["test_ece"].mean(),
                    "fit_time": scores["fit_time"].mean(),
                }
            )
        best = min(rows, key=lambda row: row["log_loss"])
        print(f"{args.cv}-fold cross-validation, model {args.model}, {len(y)} rows:\n")
        print("| epsilon | accuracy | log-loss | ECE | fit time (s) |")
        print("|--------:|---------:|---------:|----:|-------------:|")
        for row in rows:
            print(
                f"| {row['epsilon']:.3g} | {row['accuracy']:.4f} | "
                f"{row['log_loss']:.4f} | {row['ece']:.4f} | {row['fit_time']:.2f} |"
            )
        print(f"\nchosen epsilon (lowest log-loss): {best['epsilon']:g}")
        if args.save is not None:
            start = time.perf_counter()
            model = build_pipeline(X, args.model, best["epsilon"]).fit(X, y)
            save_model(model, args.save)
            print(
                f"refitted in {time.perf_counter() - start:.2f} s, saved to {args.save}"
            )
    return 0


def save_model(model, path: Path) -> None:
    sio = _import_skops()
    try:
        sio.dump(model, path)
    except OSError as error:
        raise CLIError(f"cannot write {path}: {error}") from None


def load_model(path: Path):
    """Load a model saved by ``fit --save``, trusting only sksmooth's own types.

    skops refuses types it does not know. Most of scikit-learn's and numpy's
    are known to it; a model from ``fit`` adds sksmooth's estimators and the
    ``numpy.dtype`` of its one-hot encoder, which are trusted here
    (``TRUSTED_EXTRA``). Any other type in the file is refused with its name.
    """
    sio = _import_skops()
    if not path.exists():
        raise CLIError(f"no such file: {path}")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as error:  # skops raises several kinds for bad files
        raise CLIError(f"{path} is not a readable skops model file ({error})") from None
    foreign = [
        name
        for name in untrusted
        if not name.startswith("sksmooth.") and name not in TRUSTED_EXTRA
    ]
    if foreign:
        raise CLIError(
            f"{path} holds types sksmooth does not trust: {', '.join(foreign)}"
        )
    try:
        return sio.load(path, trusted=untrusted)
    except Exception as error:
        raise CLIError(f"cannot load {path}: {error}") from None


def predict_command(args) -> int:
    model = load_model(args.model)
    frame = read_table(args.data)
    expected = list(getattr(model, "feature_names_in_", []))
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        raise CLIError(f"{args.data} lacks the model's columns: {', '.join(missing)}")
    X = frame[expected] if expected else frame
    try:
        result = frame.iloc[:, :0].copy()
        result["prediction"] = model.predict(X)
        if args.proba:
            proba = model.predict_proba(X)
            for k, label in enumerate(model.classes_):
                result[f"proba_{label}"] = proba[:, k]
    except ValueError as error:
        raise CLIError(f"cannot predict on {args.data}: {error}") from None
    if args.output is None:
        result.to_csv(sys.stdout, index=False)
    else:
        result.to_csv(args.output, index=False)
        print(f"wrote {len(result)} predictions to {args.output}")
    return 0


def _import_pandas():
    try:
        import pandas
    except ImportError:
        raise CLIError(
            'this command needs pandas: pip install "sksmooth[cli]"'
        ) from None
    return pandas


def _import_skops():
    try:
        import skops.io
    except ImportError:
        raise CLIError(
            'this command needs skops: pip install "sksmooth[cli]"'
        ) from None
    return skops.io
