"""The command line: ``sksmooth`` (also ``python -m sksmooth``).

- ``sksmooth [--output DIR] [--force]``: the bundled demo (digits with noisy
  labels).
- ``sksmooth fit data.csv --target COLUMN [--model softmax|mlp]
  [--epsilons 0,0.05,0.1,0.2] [--smooth targets|predictions] [--cv 5]
  [--save model.skops] [--force]``:
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

import os
import re
import sys
import time
import warnings
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
from joblib import parallel_config
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sksmooth._demo import NOISE, format_table, run_demo, text_progress
from sksmooth.cli._errors import CLIError, describe_error
from sksmooth.cli._files import OutputPathError, check_output_path, write_atomically
from sksmooth.cli._models import import_skops, load_model, save_model, trusted_types
from sksmooth.cli._parser import build_parser, format_epsilon, parse_arguments
from sksmooth.cli._progress import progress_bar
from sksmooth.cli._tables import (
    numeric_columns_as_numbers,
    read_table,
    read_training_table,
    table_writer,
    unseen_categories,
)
from sksmooth.linear_model import SoftmaxRegression
from sksmooth.metrics import expected_calibration_error
from sksmooth.model_selection import LabelSmoothingClassifierCV
from sksmooth.model_selection._report import search_progress
from sksmooth.neural_network import SoftMLPClassifier
from sksmooth.plotting import ReliabilityDisplay

__all__ = ["main", "trusted_types"]


def main(argv=None) -> int:
    """Parse ``argv`` and :func:`run` the command; return the exit code.

    The console script's own entry is :func:`sksmooth.cli._entry.main`, which
    parses before importing this module.
    """
    return run(parse_arguments(build_parser(), argv))


def run(args) -> int:
    """Run the parsed command; return the exit code.

    Every expected failure (a ``CLIError``, a refused output path, a file that
    cannot be read or written, data or a model that the estimators reject)
    becomes one ``error:`` line and exit code 1, here and nowhere else. An
    unexpected exception is reported the same way, as a bug to report; set
    ``SKSMOOTH_DEBUG=1`` to see its traceback instead.
    """
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
        message = describe_error(error)
    except Exception as error:
        if os.environ.get("SKSMOOTH_DEBUG"):
            raise
        message = (
            f"unexpected failure ({describe_error(error)}); this is a bug in sksmooth, "
            "please report it (SKSMOOTH_DEBUG=1 shows the traceback)"
        )
    print(f"error: {message}", file=sys.stderr)
    return 1


def demo_command(args) -> int:

    figure = None
    if args.demo_output is not None:
        if args.demo_output.exists() and not args.demo_output.is_dir():
            raise CLIError(f"--output {args.demo_output} is a file; give a folder")
        try:
            args.demo_output.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CLIError(
                f"--output {args.demo_output}: cannot create the folder "
                f"({describe_error(error)})"
            ) from None
        figure = check_output_path(
            args.demo_output / "reliability.png",
            force=args.demo_force,
            option="--output",
        )
        import_pyplot()  # fail before the demo, not after it
    print(
        f"Label smoothing on digits, {NOISE:.0%} of the training labels replaced by "
        "another class;\nscores on the clean 30% test set. Model: StandardScaler + "
        "LabelSmoothingClassifier(SoftMLPClassifier((64,))).\n"
    )
    rows = run_demo(progress=text_progress)
    print(format_table(rows))
    if figure is not None:
        save_reliability_figure(rows, figure, force=args.demo_force)
        print(f"\nreliability diagram: {figure}")
    return 0


def save_reliability_figure(rows, path: Path, *, force: bool) -> Path:
    """Reliability diagrams at epsilon = 0 and at the best epsilon (lowest
    log-loss), side by side, written atomically to ``path``."""
    plt = import_pyplot()

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


def import_pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CLIError(
            'saving a figure needs matplotlib: pip install "sksmooth[plot]"'
        ) from None
    return plt


def build_pipeline(frame, args):
    """Impute, scale numeric and one-hot encode categorical columns, then
    choose epsilon (and a temperature) by cross-validation."""

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
    # checked rows with smoothed predictions: the noise is counted on them
    counted = args.verified is not None and args.smooth == "predictions"
    search = LabelSmoothingClassifierCV(
        learner,
        epsilons=10 if args.epsilons is None else list(args.epsilons),
        method="counted" if counted else "uniform",
        smooth=args.smooth,
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
            f"cannot connect to the dask scheduler at {address} "
            f"({describe_error(error)})"
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

    with client, parallel_config(backend="dask", n_jobs=n_jobs or -1):
        yield


def table_scorers() -> dict:
    """The scores of the table; the first, log-loss, decides."""

    return {
        "log_loss": "neg_log_loss",
        "accuracy": "accuracy",
        "ece": negative_ece,
    }


def negative_ece(estimator, X, y) -> float:
    """Minus the expected calibration error, a scorer (greater is better).

    The columns are named by ``estimator.classes_``, since a validation fold
    need not hold every class.
    """
    proba = estimator.predict_proba(X)
    return -expected_calibration_error(y, proba, labels=estimator.classes_)


def fit_command(args) -> int:

    if args.save is not None:  # fail before the cross-validation, not after it
        check_output_path(
            args.save, force=args.force, inputs=[args.data], option="--save"
        )
        if args.save.suffix.lower() != ".skops":
            raise CLIError(
                f"--save {args.save}: the model is written as a skops file; name "
                "it with the .skops suffix (a file is what its name says)"
            )
        import_skops()
    cluster = connect_scheduler(args.scheduler) if args.scheduler else None
    X, y, y_verified = read_training_table(
        args.data, args.target, args.cv, args.verified
    )
    model = build_pipeline(X, args)
    fit_params = {}
    if y_verified is not None:
        fit_params[f"{model.steps[-1][0]}__y_verified"] = y_verified.to_numpy()
    start = time.perf_counter()
    # A command line is one thread, so catching warnings process-wide is safe:
    # each distinct one becomes one line, not a Python warning with its source.
    bar = progress_bar(sys.stderr, args.quiet)
    with (
        warnings.catch_warnings(record=True) as caught,
        on_cluster(cluster, args.n_jobs),
        search_progress(bar) if bar is not None else nullcontext(),
    ):
        warnings.simplefilter("always")
        try:
            model.fit(X, y, **fit_params)
        finally:
            if bar is not None:
                bar.close()
    for message in dict.fromkeys(command_line_warning(w, args.model) for w in caught):
        print(f"warning: {message}", file=sys.stderr)
    seconds = time.perf_counter() - start
    search = model[-1]
    print(f"{args.cv}-fold cross-validation, model {args.model}, {len(y)} rows:\n")
    print(format_cv_table(search.cv_results_))
    chosen = f"epsilon (lowest log-loss): {format_epsilon(search.epsilon_)}"
    if search.calibration is not None:
        chosen += f", then its temperature: {search.temperature_:.4g}"
    print(f"\nchosen {chosen}")
    if args.smooth == "predictions":
        print(
            "(scores of the smoothed predictions against the labels as given; "
            "epsilon estimates how strongly they are corrupted)"
        )
    if args.save is not None:
        # The saved model keeps only the deciding score: the table's extra
        # scorers are this command's own, and the ECE scorer would put a
        # function into the file, which predict rightly refuses to load.
        search.set_params(scoring="neg_log_loss")
        save_model(model, args.save, force=args.force)
        print(f"searched and refitted in {seconds:.2f} s, saved to {args.save}")
    return 0


def command_line_warning(caught, model: str) -> str:
    """A caught warning as one line, with advice that fits the command line.

    The search's summary of unconverged fits advises raising ``max_iter`` or
    scaling the data: here the numeric columns are scaled already and no
    option sets the iteration limit, so the line says what can be done.
    """
    message = " ".join(str(caught.message).split())
    if not issubclass(caught.category, ConvergenceWarning):
        return message
    count = re.match(r"\d+ of \d+ inner fits of \w+", message)
    other = "mlp" if model == "softmax" else "softmax"
    return (
        f"{count.group(0) if count else 'some inner fits'} did not converge; "
        "their scores may be off. The numeric columns are already scaled and "
        "the iteration limit is not an option here: look for columns with "
        "extreme values or many rare categories, try --model "
        f"{other}, or fit the model in Python (see the command-line page)"
    )


def format_cv_table(results) -> str:
    """One Markdown row per epsilon of ``cv_results_`` (mean over the folds).

    Examples
    --------
    >>> import numpy as np
    >>> results = {"param_epsilon": np.array([0.0, 0.1]),
    ...            "mean_test_accuracy": np.array([0.9, 0.95]),
    ...            "mean_test_log_loss": np.array([-0.3, -0.2]),
    ...            "mean_test_ece": np.array([-0.05, -0.02]),
    ...            "mean_fit_time": np.array([0.00123, 2.5])}
    >>> print(format_cv_table(results))
    | epsilon | accuracy | log-loss | ECE | fit time (ms) |
    |--------:|---------:|---------:|----:|--------------:|
    | 0 | 0.9000 | 0.3000 | 0.0500 | 1.23 |
    | 0.1 | 0.9500 | 0.2000 | 0.0200 | 2,500 |
    """
    lines = [
        "| epsilon | accuracy | log-loss | ECE | fit time (ms) |",
        "|--------:|---------:|---------:|----:|--------------:|",
    ]
    for i, epsilon in enumerate(results["param_epsilon"]):
        row = (
            f"| {format_epsilon(epsilon)} | {results['mean_test_accuracy'][i]:.4f} | "
            f"{-results['mean_test_log_loss'][i]:.4f} | "
            f"{-results['mean_test_ece'][i]:.4f} |"
        )
        lines.append(row + f" {format_milliseconds(results['mean_fit_time'][i])} |")
    return "\n".join(lines)


def format_milliseconds(seconds: float) -> str:
    """Milliseconds with three significant digits (whole ones from 100 up).

    A fold's fit at one epsilon of a warm-started path takes milliseconds:
    seconds rounded to two decimals showed 0.00 for all of them.

    Examples
    --------
    >>> format_milliseconds(0.0000412), format_milliseconds(0.0123)
    ('0.0412', '12.3')
    >>> format_milliseconds(0.4567), format_milliseconds(12.3456)
    ('457', '12,346')
    """
    ms = 1000 * float(seconds)
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.3g}"


def predict_command(args) -> int:
    if args.output is not None:  # before any work, and never onto an input
        check_output_path(
            args.output,
            force=args.force,
            inputs=[args.model, args.data],
            option="--output",
        )
        write_table = table_writer(args.output)
    model = load_model(args.model)
    frame = read_table(args.data)
    expected = list(getattr(model, "feature_names_in_", []))
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        raise CLIError(f"{args.data} lacks the model's columns: {', '.join(missing)}")
    X = numeric_columns_as_numbers(frame[expected] if expected else frame)
    for line in unseen_categories(model, X):
        print(f"warning: {line}", file=sys.stderr)
    try:
        result = frame.iloc[:, :0].copy()
        result["prediction"] = model.predict(X)
        if args.proba:
            proba = model.predict_proba(X)
            for k, label in enumerate(model.classes_):
                result[f"proba_{label}"] = proba[:, k]
    except (ValueError, TypeError) as error:
        raise CLIError(
            f"cannot predict on {args.data}: {describe_error(error)}"
        ) from None
    if args.output is None:
        result.to_csv(sys.stdout, index=False)
    else:
        write_atomically(
            args.output, lambda file: write_table(result, file), force=args.force
        )
        print(f"wrote {len(result)} predictions to {args.output}")
    return 0
