"""Label noise for studies and examples: corrupt a share of the labels."""

import numpy as np

__all__ = ["flip_labels"]


def flip_labels(
    y, rate: float, n_classes: int | None = None, random_state: int = 0
) -> np.ndarray:
    """Replace a fraction ``rate`` of the labels by a different random class.

    Symmetric noise: each corrupted label becomes one of the other
    ``n_classes - 1`` classes with equal probability.

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
    """
    y = np.asarray(y)
    if n_classes is None:
        classes, codes = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise ValueError(
                f"flip_labels needs at least 2 classes to flip between; y has "
                f"{classes.shape[0]}. Pass n_classes to flip into classes y lacks."
            )
        return classes[flip_labels(codes, rate, classes.shape[0], random_state)]
    rng = np.random.default_rng(random_state)
    y = y.copy()
    flip = rng.permutation(len(y))[: int(round(rate * len(y)))]
    y[flip] = (y[flip] + rng.integers(1, n_classes, size=len(flip))) % n_classes
    return y
