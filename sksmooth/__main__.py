"""``python -m sksmooth``: the command line (see :mod:`sksmooth.cli`)."""

import sys

from sksmooth.cli import main

if __name__ == "__main__":
    sys.exit(main())
