"""Test accuracy and log-loss against label noise, with and without smoothing.
===========================================================================

Symmetric noise: a fraction of the training labels is replaced by another class
at random; the test labels stay clean. Averaged over seeds, on digits.

Run it with::

    python examples/label_noise.py [--output DIR]
"""

import matplotlib.pyplot as plt
import numpy as np
from _example_utils import QUICK, parse_output, save
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth import LabelSmoothingClassifier, SoftMLPClassifier
from sksmooth.datasets import flip_labels


def make_model(epsilon, random_state):
    """Scaling, then a smoothed one-hidden-layer network (the demo's model)."""
    network = SoftMLPClassifier(
        (64,), max_iter=100 if QUICK else 300, random_state=random_state
    )
    return make_pipeline(
        StandardScaler(), LabelSmoothingClassifier(network, epsilon=epsilon)
    )


output = parse_output(__doc__)
X, y = load_digits(return_X_y=True)
noise_rates = [0.0, 0.4] if QUICK else [0.0, 0.2, 0.4]
epsilons = [0.0, 0.2] if QUICK else [0.0, 0.1, 0.2]
seeds = [0] if QUICK else [0, 1, 2]

results = {}  # (noise, epsilon) -> list of (accuracy, log-loss)
for seed in seeds:
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    for noise in noise_rates:
        y_noisy = flip_labels(y_train, noise, 10, random_state=seed)
        for epsilon in epsilons:
            model = make_model(epsilon, random_state=seed).fit(X_train, y_noisy)
            proba = model.predict_proba(X_test)
            results.setdefault((noise, epsilon), []).append(
                (accuracy_score(y_test, model.predict(X_test)), log_loss(y_test, proba))
            )

mean = {key: np.mean(values, axis=0) for key, values in results.items()}
print(f"digits, {len(seeds)} seed(s); test accuracy / test log-loss")
print("noise   " + "".join(f"eps={eps:<14g}" for eps in epsilons))
for noise in noise_rates:
    cells = "".join(
        f"{mean[noise, eps][0]:.3f} / {mean[noise, eps][1]:.3f}   " for eps in epsilons
    )
    print(f"{noise:<8g}{cells}")

# Say what the numbers show, whichever way they fall.
for noise in noise_rates:
    plain, smoothed = mean[noise, epsilons[0]], mean[noise, epsilons[-1]]
    loss_word = "lowers" if smoothed[1] < plain[1] else "raises"
    acc_word = "raises" if smoothed[0] > plain[0] else "does not raise"
    print(
        f"noise {noise:g}: epsilon={epsilons[-1]:g} {loss_word} the test log-loss "
        f"({plain[1]:.3f} -> {smoothed[1]:.3f}) and {acc_word} accuracy "
        f"({plain[0]:.3f} -> {smoothed[0]:.3f})."
    )

fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(10, 4))
for eps in epsilons:
    ax_acc.plot(
        noise_rates, [mean[n, eps][0] for n in noise_rates], "o-", label=f"ε={eps:g}"
    )
    ax_loss.plot(
        noise_rates, [mean[n, eps][1] for n in noise_rates], "o-", label=f"ε={eps:g}"
    )
ax_acc.set(xlabel="label noise rate", ylabel="test accuracy")
ax_loss.set(xlabel="label noise rate", ylabel="test log-loss")
ax_acc.legend()
save(fig, output, "label_noise.png")
