"""What every example shares: its command line and the quick mode."""

import argparse
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # examples save figures; they never open windows

QUICK = os.environ.get("SKSMOOTH_QUICK") == "1"


def parse_output(docstring: str | None) -> Path | None:
    """``--output DIR`` of an example; the folder is created when given.

    The first line of the example's docstring describes it in ``--help``
    (sphinx-gallery runs the examples with the docstring removed).
    """
    description = (docstring or "").strip().split("\n")[0]
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--output", type=Path, help="folder for the figure")
    output = parser.parse_args().output
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
    return output


def save(fig, output: Path | None, name: str) -> None:
    """Save ``fig`` as ``output/name`` when an output folder was given."""
    if output is not None:
        path = output / name
        fig.savefig(path, dpi=100, bbox_inches="tight")
        print(f"figure: {path}")
