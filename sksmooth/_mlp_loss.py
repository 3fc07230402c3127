"""Forward and backward pass of a multi-layer perceptron with soft targets.

Conventions are scikit-learn's ``MLPClassifier``'s, so that weights can be
compared and copied between the two:

- ``coefs[l]`` has shape ``(fan_in, fan_out)``, ``intercepts[l]`` ``(fan_out,)``;
  the layer sizes are ``[n_features, *hidden_layer_sizes, n_outputs]`` with one
  logistic output for two classes and ``K`` softmax outputs otherwise.
- The flat parameter vector holds every ``coefs[l]`` (C order), then every
  ``intercepts[l]``: ``MLPClassifier``'s own packing.
- The objective is ``MLPClassifier``'s::

      (1 / sum(w)) * (sum_i w_i * H(Y_i, p_i) + alpha / 2 * sum_l ||coefs[l]||^2)

  computed with exact log-probabilities (scikit-learn clips them at machine
  epsilon, which makes its gradient inexact for confident samples).

Buffers for every layer's activations and back-propagated errors are allocated
once per fit; activations and their derivatives are applied in place; the output
layer's logits go straight into the shared :mod:`sksmooth._heads` head
``(K, n)`` block.
"""

import numpy as np
import scipy.sparse as sp

from sksmooth._heads import make_head
from sksmooth._loss import transposed_view

ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


def activate(H, activation: str) -> None:
    """Apply ``activation`` to ``H`` in place.

    The logistic function is computed as ``(1 + tanh(x / 2)) / 2``: numpy's
    vectorised ``tanh`` is several times faster than scipy's ``expit`` and never
    overflows.
    """
    if activation == "relu":
        np.maximum(H, 0, out=H)
    elif activation == "tanh":
        np.tanh(H, out=H)
    elif activation == "logistic":
        H *= 0.5
        np.tanh(H, out=H)
        H *= 0.5
        H += 0.5


def multiply_by_derivative(A, delta, activation: str, scratch) -> None:
    """``delta *= activation'(z)``, in place, from the activated values ``A``."""
    if activation == "relu":
        np.sign(A, out=scratch)  # relu output is >= 0: sign is its derivative
        delta *= scratch
    elif activation == "tanh":
        np.multiply(A, A, out=scratch)
        np.subtract(1.0, scratch, out=scratch)
        delta *= scratch
    elif activation == "logistic":
        np.subtract(1.0, A, out=scratch)
        scratch *= A
        delta *= scratch


def forward_logits(X, coefs, intercepts, activation: str):
    """Logits of the output layer for new data.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    coefs, intercepts : lists of ndarray
        As ``MLPClassifier.coefs_`` and ``intercepts_``.
    activation : str
        Hidden-layer activation.

    Returns
    -------
    logits : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        One column is returned flat (the logit of class 1).

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._mlp_loss import forward_logits
    >>> coefs = [np.array([[1.0, -1.0]]), np.array([[2.0], [3.0]])]
    >>> intercepts = [np.zeros(2), np.array([0.5])]
    >>> forward_logits(np.array([[1.0], [-2.0]]), coefs, intercepts, "relu")
    array([2.5, 6.5])
    """
    A = X
    for W, b in zip(coefs[:-1], intercepts[:-1], strict=True):
        A = A @ W
        A += b
        activate(A, activation)
    logits = A @ coefs[-1] + intercepts[-1]
    return logits[:, 0] if logits.shape[1] == 1 else logits


class MLPSoftCrossEntropy:
    """Objective and gradient of an MLP classifier with soft targets.

    Parameters
    ----------
    X : {ndarray, csr_matrix} of shape (n_samples, n_features)
        Training data, float32 or float64. Kept by reference, never copied.
    targets : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Integer class codes, or validated soft targets.
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights with a positive sum; ``None`` means all ones.
    n_classes : int
        Number of classes ``K >= 2``.
    hidden_layer_sizes : tuple of int
        Sizes of the hidden layers (at least one).
    activation : {"identity", "logistic", "tanh", "relu"}
        Hidden-layer activation.
    alpha : float
        L2 penalty on the weights (not the intercepts).
    transition : ndarray of shape (n_classes, n_classes), default=None
        Forward correction: the targets are scored against ``p_i T``
        (``sksmooth._heads.ForwardCrossEntropyHead``); ``None`` is the plain
        soft cross-entropy.
    verified : ndarray of shape (n_samples,) of bool, default=None
        With ``transition``: rows whose labels were checked, scored against
        ``p_i`` itself.

    Attributes
    ----------
    layer_units : list of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    n_params : int
        Length of the flat parameter vector.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._mlp_loss import MLPSoftCrossEntropy
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> loss = MLPSoftCrossEntropy(X, np.array([0, 1, 2]), None, n_classes=3,
    ...                            hidden_layer_sizes=(4,), activation="tanh",
    ...                            alpha=0.0)
    >>> value, grad = loss.loss_gradient(np.zeros(loss.n_params))
    >>> bool(np.isclose(value, np.log(3))), grad.shape
    (True, (27,))
    """

    def __init__(
        self,
        X,
        targets,
        sample_weight,
        *,
        n_classes,
        hidden_layer_sizes,
        activation,
        alpha,
        transition=None,
        verified=None,
    ):
        n_samples, n_features = X.shape
        dtype = X.dtype
        self.X = X
        self.dtype = dtype
        self.activation = activation
        self.alpha = float(alpha)
        self._sparse = sp.issparse(X)
        # X.T for the first layer's gradient, made once (see transposed_view).
        self._X_T = transposed_view(X) if self._sparse else X.T
        self.head = make_head(
            targets,
            sample_weight,
            n_classes=n_classes,
            dtype=dtype,
            transition=transition,
            verified=verified,
        )
        self.layer_units = [n_features, *hidden_layer_sizes, self.head.n_logits]
        fans = list(zip(self.layer_units[:-1], self.layer_units[1:], strict=False))
        self.coef_shapes = fans
        self.n_coef_params = sum(fan_in * fan_out for fan_in, fan_out in fans)
        self.n_params = self.n_coef_params + sum(self.layer_units[1:])
        hidden = self.layer_units[1:-1]
        self._activations = [np.empty((n_samples, h), dtype=dtype) for h in hidden]
        self._deltas = [np.empty((n_samples, h), dtype=dtype) for h in hidden]
        self._scratch = np.empty((n_samples, max(hidden)), dtype=dtype)

    def unpack(self, flat):
        """Views of ``flat`` as the lists ``coefs`` and ``intercepts``."""
        coefs, intercepts, start = [], [], 0
        for fan_in, fan_out in self.coef_shapes:
            coefs.append(
                flat[start : start + fan_in * fan_out].reshape(fan_in, fan_out)
            )
            start += fan_in * fan_out
        for _, fan_out in self.coef_shapes:
            intercepts.append(flat[start : start + fan_out])
            start += fan_out
        return coefs, intercepts

    def pack(self, coefs, intercepts):
        """The flat float64 vector of ``coefs`` and ``intercepts``."""
        return np.concatenate(
            [np.ravel(c) for c in coefs] + [np.ravel(b) for b in intercepts]
        ).astype(np.float64)

    def loss_gradient(self, flat):
        """Objective and its gradient at the flat parameter vector ``flat``.

        Parameters
        ----------
        flat : ndarray of shape (n_params,)

        Returns
        -------
        loss : float
        gradient : ndarray of shape (n_params,), float64
        """
        coefs64, intercepts64 = self.unpack(flat)
        coefs = [c.astype(self.dtype, copy=False) for c in coefs64]
        intercepts = [b.astype(self.dtype, copy=False) for b in intercepts64]
        head, acts, deltas = self.head, self._activations, self._deltas

        # Forward: hidden layers into their buffers, the output into the head.
        A = self.X
        for layer, H in enumerate(acts):
            if self._sparse and layer == 0:
                H[...] = A @ coefs[0]
            else:
                np.matmul(A, coefs[layer], out=H)
            H += intercepts[layer]
            activate(H, self.activation)
            A = H
        W_out, b_out = coefs[-1], intercepts[-1]
        if head.n_logits == 1:
            np.matmul(A, W_out[:, 0], out=head.logits)
            head.logits += b_out[0]
        else:
            np.matmul(W_out.T, A.T, out=head.logits)
            head.logits += b_out[:, np.newaxis]

        data_loss = head.loss_and_gradient()
        G = head.logits  # gradient of the summed loss with respect to the logits

        # Backward.
        grad = np.empty(self.n_params, dtype=np.float64)
        grad_coefs, grad_intercepts = self.unpack(grad)
        last = len(acts) - 1
        if head.n_logits == 1:
            grad_coefs[-1][:, 0] = A.T @ G
            grad_intercepts[-1][0] = G.sum(dtype=np.float64)
            np.multiply(G[:, np.newaxis], W_out[:, 0], out=deltas[last])
        else:
            grad_coefs[-1][...] = A.T @ G.T
            grad_intercepts[-1][...] = G.sum(axis=1, dtype=np.float64)
            np.matmul(G.T, W_out.T, out=deltas[last])
        for layer in range(last, -1, -1):
            delta = deltas[layer]
            scratch = self._scratch[:, : delta.shape[1]]
            multiply_by_derivative(acts[layer], delta, self.activation, scratch)
            A_in_T = acts[layer - 1].T if layer > 0 else self._X_T
            grad_coefs[layer][...] = A_in_T @ delta
            grad_intercepts[layer][...] = delta.sum(axis=0, dtype=np.float64)
            if layer > 0:
                np.matmul(delta, coefs[layer].T, out=deltas[layer - 1])

        return self.objective_from_sums(flat, data_loss, grad, head.weight_sum)

    def objective_from_sums(self, flat, data_sum, grad_sum, weight_sum):
        """The objective from the data term's sums (here, or over row blocks).

        Parameters
        ----------
        flat : ndarray of shape (n_params,)
        data_sum : float
            ``sum_i w_i H(Y_i, p_i)`` over all the samples.
        grad_sum : ndarray of shape (n_params,)
            Its gradient; completed in place.
        weight_sum : float
            ``sum_i w_i`` over all the samples.

        Returns
        -------
        loss : float
        gradient : ndarray of shape (n_params,)
        """
        # Penalty on the weights only; everything divided by sum(w) once.
        weights = flat[: self.n_coef_params]
        grad_sum[: self.n_coef_params] += self.alpha * weights
        grad_sum /= weight_sum
        penalty = 0.5 * self.alpha * float(np.vdot(weights, weights))
        return (data_sum + penalty) / weight_sum, grad_sum
