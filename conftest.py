"""pytest configuration shared by the tests and the doctests."""

import os

# scikit-learn runs its array-API estimator check only when scipy's array-API
# support is switched on, and scipy reads this variable once, at import time.
# Setting it here, before anything imports scipy, lets the check run instead of
# being skipped.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
