"""Label noise for studies and examples: corrupt a share of the labels."""

import numpy as np

__all__ = ["flip_labels"]


def flip_labels(
    y,
    rate: float,
    n_classes: int | None = None,
    random_state: int = 0,
    *,
    kind: str = "symmetric",
) -> np.ndarray:
    """Replace a fraction ``rate`` of the labels by a different class.

    ``kind="symmetric"``: each corrupted label becomes one of the other
    ``n_classes - 1`` classes with equal probability. ``kind="pair"``: class
    ``k`` becomes its fixed partner ``(k + 1) mod K`` (with ordered classes,
    a neighbour: the confusable pairs of "similar classes"). Both corrupt the
    same rows for the same seed.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Integer class codes ``0..n_classes-1``; with ``n_classes=None``, any
        labels.
    rate : float
        Share of the labels to corrupt, rounded to a whole number of samples.
    n_classes : int, default=None
        Number of classes ``K``. ``None``: the distinct labels of ``y`` are
        the classes (for codes ``0..K-1`` that all occur, the same draw as
        ``n_classes=K``).
    random_state : int, default=0
        Seed of the draw.
    kind : {"symmetric", "pair"}, default="symmetric"
        Where a corrupted label goes.

    Returns
    -------
    noisy : ndarray of shape (n_samples,)
        A copy of ``y`` with ``round(rate * n_samples)`` labels changed.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.arange(1000) % 10
    >>> from sksmooth.datasets import flip_labels
    >>> noisy = flip_labels(y, 0.3)
    >>> float(np.mean(noisy != y))
    0.3
    >>> flip_labels(["cat", "dog", "cat", "dog"], 0.5, random_state=1).tolist()
    ['dog', 'cat', 'cat', 'dog']
    >>> flip_labels(np.array([0, 1, 2, 0, 1, 2]), 0.5, kind="pair").tolist()
    [0, 1, 0, 1, 1, 0]
    """
    if kind not in ("symmetric", "pair"):
        raise ValueError(f"kind must be 'symmetric' or 'pair', got {kind!r}.")
    y = np.asarray(y)
    if n_classes is None:
        classes, codes = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise ValueError(
                f"flip_labels needs at least 2 classes to flip between; y has "
                f"{classes.shape[0]}. Pass n_classes to flip into classes y lacks."
            )
        flipped = flip_labels(codes, rate, classes.shape[0], random_state, kind=kind)
        return classes[flipped]
    rng = np.random.default_rng(random_state)
    y = y.copy()
    flip = rng.permutation(len(y))[: int(round(rate * len(y)))]
    if kind == "pair":
        y[flip] = (y[flip] + 1) % n_classes
    else:
        y[flip] = (y[flip] + rng.integers(1, n_classes, size=len(flip))) % n_classes
    return y
