"""The console script's entry point: arguments first, scikit-learn after.

``sksmooth --help`` and a usage error need only :mod:`argparse`; the commands
(:mod:`sksmooth.cli._main`) import scikit-learn, pandas and the estimators,
which takes seconds. :func:`main` parses the arguments, then imports the
commands to run one: the one import inside a function of the command line,
registered as such in ``tests/test_architecture.py``.
"""

import importlib

from sksmooth.cli._parser import build_parser, parse_arguments


def main(argv=None) -> int:
    """Run the command line; return the exit code (see :mod:`sksmooth.cli._main`).

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    code : int
        0 on success, 1 on a failure (one ``error:`` line), 2 on a usage
        error (argparse exits with it).
    """
    args = parse_arguments(build_parser(), argv)
    commands = importlib.import_module("sksmooth.cli._main")
    return commands.run(args)
