"""Label noise for studies and examples: corrupt a share of the labels."""

import numpy as np

__all__ = ["flip_labels"]


def flip_labels(y, rate: float, n_classes: int, random_state: int = 0) -> np.ndarray:
    """Replace a fraction ``rate`` of the labels by a different random class.

    Symmetric noise: each corrupted label becomes one of the other
    ``n_classes - 1`` classes with equal probability.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Integer class codes ``0..n_classes-1``.
    rate : float
        Share of the labels to corrupt, rounded to a whole number of samples.
    n_classes : int
        Number of classes ``K``.
    random_state : int, default=0
        Seed of the draw.

    Returns
    -------
    noisy : ndarray of shape (n_samples,)
        A copy of ``y`` with ``round(rate * n_samples)`` labels changed.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.zeros(1000, dtype=int)
    >>> from sksmooth.datasets import flip_labels
    >>> noisy = flip_labels(y, 0.3, 10)
    >>> float(np.mean(noisy != y))
    0.3
    """
    rng = np.random.default_rng(random_state)
    y = np.asarray(y).copy()
    flip = rng.permutation(len(y))[: int(round(rate * len(y)))]
    y[flip] = (y[flip] + rng.integers(1, n_classes, size=len(flip))) % n_classes
    return y
