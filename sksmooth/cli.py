"""The command line: ``sksmooth`` (also ``python -m sksmooth``).

- ``sksmooth [--output DIR] [--force]``: the bundled demo (digits with noisy
  labels).
- ``sksmooth fit data.csv --target COLUMN [--model softmax|mlp]
  [--epsilons 0,0.05,0.1,0.2] [--cv 5] [--save model.skops] [--force]``:
  cross-validate every epsilon on a CSV or Parquet table, print the table,
  refit the best.
- ``sksmooth predict model.skops data.csv [--proba] [--output predictions.csv]
  [--force]``.

Exit codes: 0 success, 1 a failure (missing file or column, unusable data,
unreadable model, a refused output path), 2 a usage error (argparse's own).
A failure prints one ``error:`` line, never a traceback (:func:`main`). Output
files are checked before the work starts, never replace an existing file
without ``--force`` nor an input of the same command even with it, and appear
atomically (:mod:`sksmooth._files`). ``fit`` and ``predict`` need the ``cli``
extra (pandas, skops, pyarrow for Parquet): ``pip install "sksmooth[cli]"``.
"""

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from sksmooth._files import OutputPathError, check_output_path, write_atomically

# The separators a table may use; the first line decides (see read_table).
SEPARATORS = (",", ";", "\t", "|")


class CLIError(Exception):
    """A failure reported as one line, exit code 1."""


def trusted_types() -> frozenset[str]:
    """The exact type names ``predict`` lets skops build from a model file.

    A model saved by ``fit`` holds scikit-learn objects that skops trusts by
    default, sksmooth's estimator classes (named here, class by class, never
    by a prefix: a prefix would also admit functions such as
    ``sksmooth.cli.save_model``, which a hostile file could make ``predict``
    call) and the ``numpy.dtype`` of its one-hot encoder.
    """
    from sksmooth import (
        LabelSmoothingClassifier,
        LabelSmoothingClassifierCV,
        SoftmaxRegression,
        SoftMLPClassifier,
    )

    classes = (
        LabelSmoothingClassifier,
        LabelSmoothingClassifierCV,
        SoftmaxRegression,
        SoftMLPClassifier,
    )
    return frozenset(
        {f"{cls.__module__}.{cls.__qualname__}" for cls in classes} | {"numpy.dtype"}
    )


def main(argv=None) -> int:
    """Run the command line; return the exit code.

    Every expected failure (a ``CLIError``, a refused output path, a file that
    cannot be read or written, data or a model that the estimators reject)
    becomes one ``error:`` line and exit code 1, here and nowhere else. An
    unexpected exception is reported the same way, as a bug to report; set
    ``SKSMOOTH_DEBUG=1`` to see its traceback instead.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "fit":
            return fit_command(args)
        if args.command == "predict":
            return predict_command(args)
        return demo_command(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``sksmooth predict ... | head``): stop quietly,
        # and keep Python from complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (CLIError, OutputPathError) as error:
        message = str(error)
    except (OSError, ValueError, TypeError, MemoryError) as error:
        message = _describe(error)
    except Exception as error:
        if os.environ.get("SKSMOOTH_DEBUG"):
            raise
        message = (
            f"unexpected failure ({_describe(error)}); this is a bug in sksmooth, "
            "please report it (SKSMOOTH_DEBUG=1 shows the traceback)"
        )
    print(f"error: {message}", file=sys.stderr)
    return 1


def _describe(error: BaseException) -> str:
    """One line: the exception's message, or its type when it has none."""
    text = " ".join(str(error).split())
    if isinstance(error, OSError) and error.strerror:
        where = f" {error.filename}" if error.filename is not None else ""
        return f"{error.strerror}:{where}".rstrip(":")
    return text or type(error).__name__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sksmooth",
        description="Label smoothing for scikit-learn. Without a command, runs "
        "the bundled demo (digits with 20% noisy training labels).",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="demo: save a reliability figure (reliability.png) in this folder",
    )
    parser.add_argument(
        "--force", action="store_true", help="demo: replace an existing figure"
    )
    commands = parser.add_subparsers(dest="command")

    fit = commands.add_parser(
        "fit", help="choose epsilon by cross-validation on a table"
    )
    fit.add_argument("data", type=Path, help="a .csv or .parquet file")
    fit.add_argument("--target", required=True, help="the label column")
    fit.add_argument("--model", choices=["softmax", "mlp"], default="softmax")
    fit.add_argument(
        "--epsilons",
        type=parse_epsilons,
        default=None,
        help="comma-separated, e.g. 0,0.1,0.3 (default: 10 values from 0 to "
        "90%% of the largest epsilon the data allows)",
    )
    fit.add_argument("--cv", type=positive_int, default=5, help="folds (>= 2)")
    fit.add_argument(
        "--calibration",
        choices=["none", "temperature"],
        default="none",
        help="also fit a temperature on the out-of-fold predictions",
    )
    fit.add_argument(
        "--n-jobs",
        type=n_jobs_value,
        default=None,
        help="folds fitted in parallel (-1: all cores)",
    )
    fit.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running dask distributed scheduler (tcp://host:8786): the folds "
        "are fitted on its workers (needs the dask extra)",
    )
    fit.add_argument("--save", type=Path, help="write the refitted model (skops)")
    fit.add_argument(
        "--force", action="store_true", help="replace an existing --save file"
    )

    predict = commands.add_parser("predict", help="predict with a saved model")
    predict.add_argument("model", type=Path, help="a .skops file from 'fit --save'")
    predict.add_argument("data", type=Path, help="a .csv or .parquet file")
    predict.add_argument("--proba", action="store_true", help="add probabilities")
    predict.add_argument("--output", type=Path, help="CSV to write (default stdout)")
    predict.add_argument(
        "--force", action="store_true", help="replace an existing --output file"
    )
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


def format_epsilon(value: float) -> str:
    """Epsilon with up to six decimals, never rounded up to a bound.

    Six decimals show what a user types exactly (``0.999999`` stays
    ``0.999999``, not ``1``) and keep the default grid's values short.

    Examples
    --------
    >>> format_epsilon(0.999999), format_epsilon(0.1), format_epsilon(0.0)
    ('0.999999', '0.1', '0')
    >>> format_epsilon(0.011111111111111112)
    '0.011111'
    """
    return np.format_float_positional(float(value), precision=6, trim="-")


def n_jobs_value(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of jobs or -1 (all cores), got {value}"
        )
    return value


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

    figure = None
    if args.output is not None:
        if args.output.exists() and not args.output.is_dir():
            raise CLIError(f"--output {args.output} is a file; give a folder")
        try:
            args.output.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CLIError(
                f"--output {args.output}: cannot create the folder ({_describe(error)})"
            ) from None
        figure = check_output_path(
            args.output / "reliability.png", force=args.force, option="--output"
        )
        _import_pyplot()  # fail before the demo, not after it
    print(
        f"Label smoothing on digits, {NOISE:.0%} of the training labels replaced by "
        "another class;\nscores on the clean 30% test set. Model: StandardScaler + "
        "LabelSmoothingClassifier(SoftMLPClassifier((64,))).\n"
    )
    rows = run_demo(progress=text_progress)
    print(format_table(rows))
    if figure is not None:
        save_reliability_figure(rows, figure, force=args.force)
        print(f"\nreliability diagram: {figure}")
    return 0


def save_reliability_figure(rows, path: Path, *, force: bool) -> Path:
    """Reliability diagrams at epsilon = 0 and at the best epsilon (lowest
    log-loss), side by side, written atomically to ``path``."""
    plt = _import_pyplot()
    from sksmooth.plotting import ReliabilityDisplay

    chosen = [rows[0], min(rows[1:] or rows, key=lambda row: row["log_loss"])]
    fig, axes = plt.subplots(1, len(chosen), figsize=(5 * len(chosen), 4.5))
    try:
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
        write_atomically(
            path, lambda file: fig.savefig(file, format="png", dpi=100), force=force
        )
    finally:
        plt.close(fig)
    return path


def _import_pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CLIError(
            'saving a figure needs matplotlib: pip install "sksmooth[plot]"'
        ) from None
    return plt


def read_table(path: Path):
    """A pandas DataFrame from a CSV or Parquet file.

    A CSV file may separate its fields with ``,``, ``;``, a tab or ``|``: the
    header line decides (a comma if it has one, else the most frequent of the
    others). It must be UTF-8 (a byte-order mark is allowed).
    """
    pd = _import_pandas()
    if not path.exists():
        raise CLIError(f"no such file: {path}")
    if path.is_dir():
        raise CLIError(f"{path} is a folder, not a table")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep=sniff_separator(path), encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise CLIError(f"{path} is empty") from None
    except UnicodeDecodeError as error:
        raise CLIError(
            f"cannot read {path}: it is not UTF-8 text ({error.reason} at byte "
            f"{error.start}); save it as UTF-8"
        ) from None
    except Exception as error:  # pandas raises many kinds for unreadable files
        raise CLIError(f"cannot read {path}: {_describe(error)}") from None
    return frame


def sniff_separator(path: Path) -> str:
    """The CSV separator, read off the header line (see :func:`read_table`)."""
    with open(path, "rb") as file:
        header = file.readline(1 << 16).decode("utf-8", errors="replace")
    if "," in header:
        return ","
    counts = {sep: header.count(sep) for sep in SEPARATORS[1:]}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def numeric_columns_as_numbers(frame):
    """Columns that pandas read as text only because their numbers are too large
    for int64 (say ``10**30``) become floats; other text stays categorical."""
    pd = _import_pandas()
    for column in frame.select_dtypes(exclude=["number", "bool"]).columns:
        present = frame[column].dropna()
        converted = pd.to_numeric(present, errors="coerce")
        if len(present) and converted.notna().all():
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def build_pipeline(frame, args):
    """Impute, scale numeric and one-hot encode categorical columns, then
    choose epsilon (and a temperature) by cross-validation."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from sksmooth import (
        LabelSmoothingClassifierCV,
        SoftmaxRegression,
        SoftMLPClassifier,
    )

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
        if args.model == "mlp"
        else SoftmaxRegression(max_iter=1000)
    )
    search = LabelSmoothingClassifierCV(
        learner,
        epsilons=10 if args.epsilons is None else list(args.epsilons),
        cv=args.cv,  # stratified and shuffled with random_state
        scoring=table_scorers(),
        calibration=None if args.calibration == "none" else args.calibration,
        n_jobs=args.n_jobs,
        random_state=0,
    )
    return make_pipeline(preprocess, search)


def connect_scheduler(address: str):
    """A ``distributed.Client`` of the scheduler at ``address``, before any work."""
    try:
        from distributed import Client
    except ImportError:
        raise CLIError(
            '--scheduler needs dask\'s distributed: pip install "sksmooth[dask]"'
        ) from None
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError) as error:
        raise CLIError(
            f"cannot connect to the dask scheduler at {address} ({_describe(error)})"
        ) from None


# How long --scheduler waits for the scheduler to answer.
SCHEDULER_TIMEOUT = "10s"


@contextmanager
def on_cluster(client, n_jobs):
    """Run joblib's parallel work (the folds) on ``client``'s cluster, if any.

    joblib's dask backend sends each (setting, fold) task to a worker; without
    ``--n-jobs`` every worker thread may take one.
    """
    if client is None:
        yield
        return
    from joblib import parallel_config

    with client, parallel_config(backend="dask", n_jobs=n_jobs or -1):
        yield


def table_scorers() -> dict:
    """The scores of the table; the first, log-loss, decides."""
    from sklearn.metrics import make_scorer

    from sksmooth.metrics import expected_calibration_error

    return {
        "log_loss": "neg_log_loss",
        "accuracy": "accuracy",
        "ece": make_scorer(
            expected_calibration_error,
            greater_is_better=False,
            response_method="predict_proba",
        ),
    }


def fit_command(args) -> int:
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    if args.save is not None:  # fail before the cross-validation, not after it
        check_output_path(
            args.save, force=args.force, inputs=[args.data], option="--save"
        )
        _import_skops()
    cluster = connect_scheduler(args.scheduler) if args.scheduler else None
    X, y = read_training_table(args.data, args.target, args.cv)
    model = build_pipeline(X, args)
    start = time.perf_counter()
    with warnings.catch_warnings(), on_cluster(cluster, args.n_jobs):
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    seconds = time.perf_counter() - start
    search = model[-1]
    print(f"{args.cv}-fold cross-validation, model {args.model}, {len(y)} rows:\n")
    print(format_cv_table(search.cv_results_, calibrated=search.calibration))
    if search.calibration is None:
        chosen = f"epsilon (lowest log-loss): {format_epsilon(search.epsilon_)}"
    else:
        chosen = (
            "epsilon and temperature (lowest calibrated log-loss): "
            f"{format_epsilon(search.epsilon_)}, {search.temperature_:.4g}"
        )
    print(f"\nchosen {chosen}")
    if args.save is not None:
        # The saved model keeps only the deciding score: the table's extra
        # scorers are this command's own, and the ECE scorer would put a
        # function into the file, which predict rightly refuses to load.
        search.set_params(scoring="neg_log_loss")
        save_model(model, args.save, force=args.force)
        print(f"searched and refitted in {seconds:.2f} s, saved to {args.save}")
    return 0


def format_cv_table(results, *, calibrated) -> str:
    """One Markdown row per epsilon of ``cv_results_`` (mean over the folds).

    Examples
    --------
    >>> import numpy as np
    >>> results = {"param_epsilon": np.array([0.0, 0.1]),
    ...            "mean_test_accuracy": np.array([0.9, 0.95]),
    ...            "mean_test_log_loss": np.array([-0.3, -0.2]),
    ...            "mean_test_ece": np.array([-0.05, -0.02]),
    ...            "mean_fit_time": np.array([0.01, 0.02])}
    >>> print(format_cv_table(results, calibrated=None))
    | epsilon | accuracy | log-loss | ECE | fit time (s) |
    |--------:|---------:|---------:|----:|-------------:|
    | 0 | 0.9000 | 0.3000 | 0.0500 | 0.01 |
    | 0.1 | 0.9500 | 0.2000 | 0.0200 | 0.02 |
    """
    header = "| epsilon | accuracy | log-loss | ECE |"
    rule = "|--------:|---------:|---------:|----:|"
    if calibrated is not None:
        header += " temperature | calibrated log-loss | calibrated ECE |"
        rule += "------------:|--------------------:|---------------:|"
    lines = [header + " fit time (s) |", rule + "-------------:|"]
    for i, epsilon in enumerate(results["param_epsilon"]):
        row = (
            f"| {format_epsilon(epsilon)} | {results['mean_test_accuracy'][i]:.4f} | "
            f"{-results['mean_test_log_loss'][i]:.4f} | "
            f"{-results['mean_test_ece'][i]:.4f} |"
        )
        if calibrated is not None:
            row += (
                f" {results['temperature'][i]:.4g} | "
                f"{-results['mean_calibrated_test_log_loss'][i]:.4f} | "
                f"{-results['mean_calibrated_test_ece'][i]:.4f} |"
            )
        lines.append(row + f" {results['mean_fit_time'][i]:.2f} |")
    return "\n".join(lines)


def read_training_table(path: Path, target: str, n_folds: int):
    """Features and labels from a table, checked for what ``fit`` needs.

    Feature columns without a single value are dropped, with one note on
    standard error (the imputers would otherwise warn once per fit).
    """
    frame = read_table(path)
    if target not in frame.columns:
        raise CLIError(
            f"no column {target!r} in {path}; columns are "
            f"{', '.join(map(str, frame.columns))}"
        )
    if len(frame) == 0:
        raise CLIError(f"{path} has a header but no rows")
    y = frame[target]
    if y.isna().any():
        raise CLIError(
            f"the target column {target!r} has {int(y.isna().sum())} missing "
            f"value(s) in {len(y)} rows; fill or drop those rows"
        )
    X = numeric_columns_as_numbers(frame.drop(columns=[target]))
    empty = X.columns[X.isna().all()]
    if len(empty):
        print(
            f"note: ignoring column(s) without any value: {', '.join(map(str, empty))}",
            file=sys.stderr,
        )
        X = X.drop(columns=empty)
    if X.shape[1] == 0:
        raise CLIError(f"{path} has no feature column besides the target {target!r}")
    counts = y.value_counts()
    if len(counts) < 2:
        raise CLIError(
            f"the target column {target!r} holds one class only "
            f"({counts.index[0]!r}); classification needs at least two"
        )
    if counts.min() < n_folds:
        raise CLIError(
            f"the rarest class ({counts.idxmin()!r}) has {counts.min()} rows, "
            f"fewer than --cv {n_folds}"
        )
    return X, y


def save_model(model, path: Path, *, force: bool = False) -> None:
    """Write ``model`` with skops, atomically (see :mod:`sksmooth._files`)."""
    sio = _import_skops()
    write_atomically(path, lambda file: sio.dump(model, file), force=force)


def load_model(path: Path):
    """Load a model saved by ``fit --save``, trusting only :func:`trusted_types`.

    skops refuses types it does not know. Most of scikit-learn's and numpy's
    are known to it; anything else in the file must be one of the exact names
    in :func:`trusted_types`, or the file is refused with the names it holds.
    """
    sio = _import_skops()
    if not path.exists():
        raise CLIError(f"no such file: {path}")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as error:  # skops raises several kinds for bad files
        raise CLIError(
            f"{path} is not a readable skops model file ({_describe(error)})"
        ) from None
    foreign = sorted(set(untrusted) - trusted_types())
    if foreign:
        raise CLIError(
            f"{path} holds types sksmooth does not trust: {', '.join(foreign)}"
        )
    try:
        model = sio.load(path, trusted=untrusted)
    except Exception as error:
        raise CLIError(f"cannot load {path}: {_describe(error)}") from None
    if not (hasattr(model, "predict") and hasattr(model, "classes_")):
        raise CLIError(f"{path} does not hold a fitted classifier")
    return model


def predict_command(args) -> int:
    if args.output is not None:  # before any work, and never onto an input
        check_output_path(
            args.output,
            force=args.force,
            inputs=[args.model, args.data],
            option="--output",
        )
    model = load_model(args.model)
    frame = read_table(args.data)
    expected = list(getattr(model, "feature_names_in_", []))
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        raise CLIError(f"{args.data} lacks the model's columns: {', '.join(missing)}")
    X = numeric_columns_as_numbers(frame[expected] if expected else frame)
    try:
        result = frame.iloc[:, :0].copy()
        result["prediction"] = model.predict(X)
        if args.proba:
            proba = model.predict_proba(X)
            for k, label in enumerate(model.classes_):
                result[f"proba_{label}"] = proba[:, k]
    except (ValueError, TypeError) as error:
        raise CLIError(f"cannot predict on {args.data}: {_describe(error)}") from None
    if args.output is None:
        result.to_csv(sys.stdout, index=False)
    else:
        write_atomically(
            args.output,
            lambda file: result.to_csv(file, index=False),
            force=args.force,
        )
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
