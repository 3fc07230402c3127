"""Model files: write them with skops, and load only the types we trust.

skops is the ``cli`` extra; it is imported when a model is saved or loaded.
"""

from pathlib import Path

from sksmooth.cli._errors import CLIError, describe_error
from sksmooth.cli._files import write_atomically
from sksmooth.linear_model import SoftmaxRegression
from sksmooth.meta import LabelSmoothingClassifier
from sksmooth.model_selection import LabelSmoothingClassifierCV
from sksmooth.neural_network import SoftMLPClassifier


def trusted_types() -> frozenset[str]:
    """The exact type names ``predict`` lets skops build from a model file.

    A model saved by ``fit`` holds scikit-learn objects that skops trusts by
    default, sksmooth's estimator classes (named here, class by class, never
    by a prefix: a prefix would also admit functions such as
    ``sksmooth.cli.save_model``, which a hostile file could make ``predict``
    call) and the ``numpy.dtype`` of its one-hot encoder.
    """
    classes = (
        LabelSmoothingClassifier,
        LabelSmoothingClassifierCV,
        SoftmaxRegression,
        SoftMLPClassifier,
    )
    return frozenset(
        {f"{cls.__module__}.{cls.__qualname__}" for cls in classes} | {"numpy.dtype"}
    )


def save_model(model, path: Path, *, force: bool = False) -> None:
    """Write ``model`` with skops, atomically (see :mod:`sksmooth._files`)."""
    sio = import_skops()
    write_atomically(path, lambda file: sio.dump(model, file), force=force)


def load_model(path: Path):
    """Load a model saved by ``fit --save``, trusting only :func:`trusted_types`.

    skops refuses types it does not know. Most of scikit-learn's and numpy's
    are known to it; anything else in the file must be one of the exact names
    in :func:`trusted_types`, or the file is refused with the names it holds.
    """
    sio = import_skops()
    if not path.exists():
        raise CLIError(f"no such file: {path}")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as error:  # skops raises several kinds for bad files
        raise CLIError(
            f"{path} is not a readable skops model file ({describe_error(error)})"
        ) from None
    foreign = sorted(set(untrusted) - trusted_types())
    if foreign:
        raise CLIError(
            f"{path} holds types sksmooth does not trust: {', '.join(foreign)}"
        )
    try:
        model = sio.load(path, trusted=untrusted)
    except Exception as error:
        raise CLIError(f"cannot load {path}: {describe_error(error)}") from None
    if not (hasattr(model, "predict") and hasattr(model, "classes_")):
        raise CLIError(f"{path} does not hold a fitted classifier")
    return model


def import_skops():
    try:
        import skops.io
    except ImportError:
        raise CLIError(
            'this command needs skops: pip install "sksmooth[cli]"'
        ) from None
    return skops.io
