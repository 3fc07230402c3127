"""A pandas table with numeric and categorical columns through ColumnTransformer.
==============================================================================

Run it with::

    python examples/tabular_pipeline.py [--output DIR]
"""

import numpy as np
import pandas as pd
from _example_utils import QUICK, parse_output, save
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import make_scorer
from sklearn.model_selection import cross_validate, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sksmooth import LabelSmoothingClassifier, SoftmaxRegression
from sksmooth.metrics import expected_calibration_error
from sksmooth.plotting import ReliabilityDisplay

output = parse_output(__doc__)
rng = np.random.default_rng(0)
n = 600 if QUICK else 3000
frame = pd.DataFrame(
    {
        "age": rng.integers(18, 80, n).astype(float),
        "income": rng.lognormal(10, 0.5, n),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "plan": rng.choice(["basic", "plus", "premium"], n, p=[0.5, 0.3, 0.2]),
    }
)
frame.loc[rng.random(n) < 0.05, "income"] = np.nan  # some missing values
score = (
    0.04 * (frame["age"] - 50)
    + 0.8 * (frame["plan"] == "premium")
    - 0.6 * (frame["region"] == "south")
    + rng.normal(0, 1, n)
)
frame["churn"] = np.select([score < -0.5, score < 0.7], ["stays", "maybe"], "leaves")

X, y = frame.drop(columns="churn"), frame["churn"]
preprocess = ColumnTransformer(
    [
        (
            "numeric",
            make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
            ["age", "income"],
        ),
        ("categorical", OneHotEncoder(handle_unknown="ignore"), ["region", "plan"]),
    ]
)
ece = make_scorer(
    expected_calibration_error, greater_is_better=False, response_method="predict_proba"
)
for epsilon in [0.0, 0.1]:
    model = make_pipeline(
        preprocess, LabelSmoothingClassifier(SoftmaxRegression(), epsilon=epsilon)
    )
    scores = cross_validate(
        model,
        X,
        y,
        cv=3,
        scoring={"accuracy": "accuracy", "log_loss": "neg_log_loss", "ece": ece},
    )
    print(
        f"epsilon={epsilon:g}: accuracy {scores['test_accuracy'].mean():.3f}, "
        f"log-loss {-scores['test_log_loss'].mean():.3f}, "
        f"ECE {-scores['test_ece'].mean():.3f}"
    )

X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
model.fit(X_train, y_train)
print("classes:", list(model.classes_), "| features in:", list(model.feature_names_in_))
display = ReliabilityDisplay.from_estimator(model, X_test, y_test, n_bins=10)
save(display.figure_, output, "tabular_pipeline.png")
