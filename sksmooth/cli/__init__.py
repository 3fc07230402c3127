"""The command line: ``sksmooth`` (also ``python -m sksmooth``).

- ``_entry``: the console script's ``main``: parses the arguments and only
  then imports the commands, so that ``--help`` and usage errors do not wait
  for scikit-learn;
- ``_main``: the commands and their exit codes;
- ``_parser``: the arguments; ``_tables``: tables in; ``_models``: model files
  (skops, trusted types); ``_files``: files out, atomically; ``_errors``: the
  one-line failure; ``_progress``: the search's progress bar.
"""

import importlib
from typing import TYPE_CHECKING

from sksmooth.cli._entry import main

__all__ = ["main", "trusted_types"]

if TYPE_CHECKING:
    from sksmooth.cli._models import trusted_types


def __getattr__(name: str):
    """``trusted_types``, imported on first use (it imports the estimators)."""
    if name != "trusted_types":
        raise AttributeError(f"module 'sksmooth.cli' has no attribute {name!r}")
    return importlib.import_module("sksmooth.cli._models").trusted_types
