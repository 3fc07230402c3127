"""The command line: ``sksmooth`` (also ``python -m sksmooth``).

- ``_main``: the commands and their exit codes;
- ``_parser``: the arguments; ``_tables``: tables in; ``_models``: model files
  (skops, trusted types); ``_files``: files out, atomically; ``_errors``: the
  one-line failure.
"""

from sksmooth.cli._main import main
from sksmooth.cli._models import trusted_types

__all__ = ["main", "trusted_types"]
