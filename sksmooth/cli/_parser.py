"""The command line's arguments: the parser and the types that check them."""

import argparse
import re
import sys
from pathlib import Path

import numpy as np


def add_demo_options(parser: argparse.ArgumentParser) -> None:
    """The demo's options, before any command. Their dest names are their own:
    a command's ``--output`` or ``--force`` would otherwise silently take their
    place (``main`` refuses them with a command)."""
    parser.add_argument(
        "--output",
        dest="demo_output",
        type=Path,
        help="demo: save a reliability figure (reliability.png) in this folder",
    )
    parser.add_argument(
        "--force",
        dest="demo_force",
        action="store_true",
        help="demo: replace an existing figure",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sksmooth",
        description="Label smoothing for scikit-learn. Without a command, runs "
        "the bundled demo (digits with 20% noisy training labels).",
    )
    add_demo_options(parser)
    commands = parser.add_subparsers(
        dest="command", help="without a command, the demo runs"
    )

    fit = commands.add_parser(
        "fit", help="choose epsilon by cross-validation on a table"
    )
    fit.add_argument("data", type=Path, help="a .csv or .parquet file")
    fit.add_argument("--target", required=True, help="the label column")
    fit.add_argument(
        "--model",
        choices=["softmax", "mlp"],
        default="softmax",
        help="softmax (default): multinomial logistic regression "
        "(SoftmaxRegression); mlp: a neural network with one hidden layer "
        "(SoftMLPClassifier), more flexible and slower",
    )
    fit.add_argument(
        "--epsilons",
        type=parse_epsilons,
        default=None,
        help="comma-separated, e.g. 0,0.1,0.3 (default: 10 values from 0 to "
        "90%% of the largest epsilon the data allows)",
    )
    fit.add_argument(
        "--smooth",
        choices=["targets", "predictions"],
        default="targets",
        help="smooth the targets (over-confidence) or the predictions (noisy "
        "labels: epsilon then estimates the noise, the model predicts the clean "
        "classes)",
    )
    fit.add_argument(
        "--verified",
        metavar="COLUMN",
        default=None,
        help="a column with the verified class of the rows someone checked, "
        "empty on the others (never a feature): those rows are fitted with it; "
        "with --smooth predictions the label noise is counted on them",
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
    fit.add_argument(
        "--save", type=Path, help="write the refitted model to this .skops file"
    )
    fit.add_argument(
        "--force", action="store_true", help="replace an existing --save file"
    )
    fit.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar (drawn on a terminal once the search has run "
        "for two seconds)",
    )

    add_predict_command(commands)
    return parser


def add_predict_command(commands) -> None:
    """``sksmooth predict`` and its options."""
    predict = commands.add_parser("predict", help="predict with a saved model")
    predict.add_argument("model", type=Path, help="a .skops file from 'fit --save'")
    predict.add_argument("data", type=Path, help="a .csv or .parquet file")
    predict.add_argument("--proba", action="store_true", help="add probabilities")
    predict.add_argument(
        "--output",
        type=Path,
        help="write the predictions to this .csv or .parquet (.pq) file, in the "
        "format its suffix names (default: CSV on stdout)",
    )
    predict.add_argument(
        "--force", action="store_true", help="replace an existing --output file"
    )


def parse_arguments(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """The parsed arguments of ``argv`` (default ``sys.argv[1:]``); argparse
    exits with code 2 on a usage error, as on the demo's ``--output`` or
    ``--force`` given with a command."""
    args = parser.parse_args(
        attach_signed_values(sys.argv[1:] if argv is None else argv)
    )
    if args.command is not None and (args.demo_output is not None or args.demo_force):
        parser.error(
            f"--output and --force before a command are the demo's; give "
            f"{args.command}'s own after it (fit: --save, --force; predict: "
            "--output, --force)"
        )
    return args


# Options whose value may start with "-": argparse would read "-0.1,0.1" as
# an unknown option and say "expected one argument".
SIGNED_VALUE_OPTIONS = ("--epsilons",)
NUMBER_LIST = re.compile(r"[-+0-9.eE,\s]*[0-9][-+0-9.eE,\s]*")


def attach_signed_values(argv):
    """``--epsilons -0.1,0.1`` as ``--epsilons=-0.1,0.1``, which argparse reads.

    Only a value made of numbers and commas is attached, so that a forgotten
    value (``--epsilons --cv 3``) stays argparse's usage error.
    """
    argv = list(argv)
    joined, i = [], 0
    while i < len(argv):
        option = argv[i]
        value = argv[i + 1] if i + 1 < len(argv) else ""
        signed = value.startswith("-") and NUMBER_LIST.fullmatch(value)
        if option in SIGNED_VALUE_OPTIONS and signed:
            joined.append(f"{option}={value}")
            i += 2
            continue
        joined.append(option)
        i += 1
    return joined


def parse_epsilons(text: str):
    """Comma-separated finite numbers; their range is the estimator's to check
    (its error gives the bound for the method and the data's classes)."""
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        values = ()
    if not values or not all(np.isfinite(values)):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        )
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
