"""Tables in and out: read a CSV or Parquet file, check what ``fit`` needs,
and write predictions in the format their file's suffix names.

pandas is the ``cli`` extra; it is imported when a table is read.
"""

import sys
from pathlib import Path

from sklearn.utils.multiclass import type_of_target

from sksmooth._validation import plain_value
from sksmooth.cli._errors import CLIError, describe_error

# The separators a table may use; the first line decides (see read_table).
SEPARATORS = (",", ";", "\t", "|")


def read_table(path: Path):
    """A pandas DataFrame from a CSV or Parquet file.

    A CSV file may separate its fields with ``,``, ``;``, a tab or ``|``: the
    header line decides (a comma if it has one, else the most frequent of the
    others). It must be UTF-8 (a byte-order mark is allowed).
    """
    pd = import_pandas()
    if not path.exists():
        raise CLIError(f"no such file: {path}")
    if path.is_dir():
        raise CLIError(f"{path} is a folder, not a table")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            separator = sniff_separator(path)
            frame = pd.read_csv(path, sep=separator, encoding="utf-8-sig")
            # The ';' dialect writes decimal commas (see numeric_columns_as_numbers).
            frame.attrs["decimal_comma"] = separator == ";"
    except pd.errors.EmptyDataError:
        raise CLIError(f"{path} is empty") from None
    except UnicodeDecodeError as error:
        raise CLIError(
            f"cannot read {path}: it is not UTF-8 text ({error.reason} at byte "
            f"{error.start}); save it as UTF-8"
        ) from None
    except Exception as error:  # pandas raises many kinds for unreadable files
        raise CLIError(f"cannot read {path}: {describe_error(error)}") from None
    return frame


def sniff_separator(path: Path) -> str:
    """The CSV separator, read off the header line (see :func:`read_table`)."""
    with open(path, "rb") as file:
        header = file.readline(1 << 16).decode("utf-8", errors="replace")
    if "," in header:
        return ","
    counts = {sep: header.count(sep) for sep in SEPARATORS[1:]}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def numeric_columns_as_numbers(frame):
    """Text columns whose every value is a number become floats.

    pandas reads numbers as text when they are too large for int64 (say
    ``10**30``), and in a ``;``-separated table (``frame.attrs["decimal_comma"]``,
    set by :func:`read_table`) when they are written with a decimal comma,
    ``5,1``. Other text stays categorical.
    """
    decimal_comma = frame.attrs.get("decimal_comma", False)
    for column in frame.select_dtypes(exclude=["number", "bool"]).columns:
        present = frame[column].dropna()
        if not len(present):
            continue
        converted = as_numbers(present, decimal_comma)
        if converted.notna().all():
            frame[column] = converted.astype(float).reindex(frame.index)
    return frame


def as_numbers(present, decimal_comma: bool):
    """The values of a text column as numbers, NaN where one is not a number."""
    pd = import_pandas()
    text = present.astype(str)
    if decimal_comma and not text.str.contains(".", regex=False).any():
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


# A text column with more distinct values than this share of its rows (and
# at least IDENTIFIER_MIN_ROWS rows) is an identifier or a timestamp: one-hot
# encoded it would give one feature per row.
IDENTIFIER_SHARE = 0.9
IDENTIFIER_MIN_ROWS = 20


def describe_columns(X):
    """What each feature column becomes, and the ones to drop: identifier-like
    text, and a row index (the integers 0 or 1 to n in row order).

    Returns ``(lines, dropped)``: one ``"name: numeric"``, ``"name:
    categorical (N values)"`` or ``"name: dropped (...)"`` line per column; a
    text column of numbers but for a few other values says which.
    """
    lines, dropped = [], []
    numeric = set(X.select_dtypes(include="number").columns)
    for column in X.columns:
        if column in numeric:
            start = row_index_start(X[column])
            if start is None:
                lines.append(f"{column}: numeric")
                continue
            dropped.append(column)
            lines.append(
                f"{column}: dropped (the integers {start} to {start + len(X) - 1} "
                "in row order: a row index, which would leak how the rows were "
                "ordered)"
            )
            continue
        present = X[column].dropna()
        distinct = int(present.nunique())
        why = not_numbers_note(present, X.attrs.get("decimal_comma", False))
        if len(present) >= IDENTIFIER_MIN_ROWS and distinct > IDENTIFIER_SHARE * len(
            present
        ):
            dropped.append(column)
            lines.append(
                f"{column}: dropped ({distinct} distinct values in {len(present)} "
                "rows: an identifier or a timestamp? Convert it to a number or to "
                f"fewer categories to use it{why})"
            )
        else:
            lines.append(f"{column}: categorical ({distinct} values{why})")
    return lines, dropped


def row_index_start(values):
    """0 or 1 if a numeric column counts the rows from it in order, else None.

    A table written with its row names (R's ``write.csv``, pandas's
    ``to_csv`` with the index) has such a column; in a table sorted by class
    it predicts the label perfectly and means nothing on new rows.
    """
    pd = import_pandas()
    n_rows = len(values)
    if n_rows < IDENTIFIER_MIN_ROWS or not pd.api.types.is_integer_dtype(values):
        return None
    start = int(values.iloc[0])
    if start not in (0, 1):
        return None
    expected = pd.RangeIndex(start, start + n_rows)
    return start if (values.to_numpy() == expected.to_numpy()).all() else None


# A text column is called numeric but for a few values when at least this
# share of its values are numbers.
NUMERIC_SHARE = 0.5


def not_numbers_note(present, decimal_comma: bool) -> str:
    """Why a column of mostly numbers was read as text: its other values."""
    if not len(present):
        return ""
    numbers = as_numbers(present, decimal_comma)
    others = present[numbers.isna()].astype(str).value_counts()
    if numbers.notna().mean() < NUMERIC_SHARE or not len(others):
        return ""
    shown = ", ".join(
        f"{token!r} ({count} row{'s' if count > 1 else ''})"
        for token, count in others[:3].items()
    )
    more = f" and {len(others) - 3} more" if len(others) > 3 else ""
    return (
        f"; read as text, not numbers, because of {shown}{more}: write missing "
        "values as empty cells to make it numeric"
    )


def read_training_table(path: Path, target: str, n_folds: int, verified=None):
    """Features, labels and (with a ``verified`` column) the verified classes
    from a table, checked for what ``fit`` needs.

    Feature columns without a single value are dropped, with one note on
    standard error (the imputers would otherwise warn once per fit). The
    verified column is never a feature.
    """
    frame = read_table(path)
    for option, column in (("--target", target), ("--verified", verified)):
        if column is not None and column not in frame.columns:
            raise CLIError(
                f"{option} {column}: no such column in {path}; columns are "
                f"{', '.join(map(str, frame.columns))}"
            )
    if verified is not None and verified == target:
        raise CLIError(
            f"--verified {verified} is the target column itself; give the column "
            "of verified classes, empty on the rows nobody checked"
        )
    y_verified = None
    if verified is not None:
        y_verified = frame[verified].astype(object).where(frame[verified].notna(), None)
        frame = frame.drop(columns=[verified])
    if len(frame) == 0:
        raise CLIError(f"{path} has a header but no rows")
    y = frame[target]
    if y.isna().any():
        raise CLIError(
            f"the target column {target!r} has {int(y.isna().sum())} missing "
            f"value(s) in {len(y)} rows; fill or drop those rows"
        )
    if type_of_target(y) == "continuous":
        values = ", ".join(f"{value:g}" for value in y.head(3))
        raise CLIError(
            f"the target column {target!r} looks continuous ({y.nunique()} distinct "
            f"numbers such as {values}), but sksmooth classifies: give a column "
            "of class labels (or bin the numbers into classes first)"
        )
    X = numeric_columns_as_numbers(frame.drop(columns=[target]))
    empty = X.columns[X.isna().all()]
    if len(empty):
        print(
            f"note: ignoring column(s) without any value: {', '.join(map(str, empty))}",
            file=sys.stderr,
        )
        X = X.drop(columns=empty)
    lines, dropped = describe_columns(X)
    X = X.drop(columns=dropped)
    if X.shape[1] == 0:
        raise CLIError(f"{path} has no feature column besides the target {target!r}")
    counts = y.value_counts()
    if len(counts) < 2:
        raise CLIError(
            f"the target column {target!r} holds one class only "
            f"({plain_value(counts.index[0])!r}); classification needs at least two"
        )
    rarest = plain_value(counts.idxmin())  # 3, not np.int64(3)
    if counts.min() < 2:
        raise CLIError(
            f"the class {rarest!r} of {target!r} has only 1 row, but "
            "every training fold must hold every class: drop or relabel that row"
        )
    if counts.min() < n_folds:  # scikit-learn's folds manage; say what it costs
        print(
            f"note: the class {rarest!r} has {counts.min()} rows, fewer "
            f"than --cv {n_folds}: some validation folds will not hold it",
            file=sys.stderr,
        )
    if y_verified is not None:
        unknown = set(y_verified.dropna()) - set(y)
        if unknown:
            shown = ", ".join(repr(plain_value(v)) for v in sorted(unknown, key=str))
            raise CLIError(
                f"--verified {verified} holds {shown}, which the target column "
                f"{target!r} never has; a verified class must be one of its classes"
            )
    # Said once the table is usable, so that a refusal stays one error line.
    print("note: feature columns\n  " + "\n  ".join(lines), file=sys.stderr)
    return X, y, y_verified


def unseen_categories(model, X) -> list[str]:
    """One line per categorical column of ``X`` holding values the model's
    one-hot encoder did not see in ``fit``, naming them and their rows.

    ``fit`` encodes categories with ``handle_unknown="ignore"``: an unseen
    value becomes a row with none of the column's categories, which the model
    never saw either, so ``predict`` says so instead of dropping it in
    silence. Missing values are the imputer's, not unseen.
    """
    preprocess = model[0] if hasattr(model, "steps") else None
    lines = []
    for _, transformer, columns in getattr(preprocess, "transformers_", []):
        encoder = transformer[-1] if hasattr(transformer, "steps") else transformer
        categories = getattr(encoder, "categories_", None)
        if categories is None or isinstance(columns, str):
            continue
        for column, known in zip(columns, categories, strict=True):
            present = X[column].dropna()
            unseen = present[~present.isin(list(known))].astype(str).value_counts()
            if not len(unseen):
                continue
            shown = ", ".join(
                f"{value!r} ({count} row{'s' if count > 1 else ''})"
                for value, count in unseen[:5].items()
            )
            more = f" and {len(unseen) - 5} more" if len(unseen) > 5 else ""
            lines.append(
                f"column {column!r} has values the model did not see in fit: "
                f"{shown}{more}; those rows are predicted as if the column had "
                "none of its categories"
            )
    return lines


def import_pandas():
    try:
        import pandas
    except ImportError:
        raise CLIError(
            'this command needs pandas: pip install "sksmooth[cli]"'
        ) from None
    return pandas


# The formats predictions are written in, by the output file's suffix.
TABLE_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def table_writer(path: Path):
    """``write(frame, file)`` in the format ``path``'s suffix names.

    Raises ``CLIError`` for another suffix (a file must be what its name says)
    and, for Parquet, when pyarrow is missing: both before any work.
    """
    kind = TABLE_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise CLIError(
            f"--output {path}: predictions are written as CSV (.csv) or Parquet "
            "(.parquet, .pq); name the file with one of those suffixes"
        )
    if kind == "csv":
        return lambda frame, file: frame.to_csv(file, index=False)
    try:
        import pyarrow  # noqa: F401  (pandas writes Parquet through it)
    except ImportError:
        raise CLIError(
            'writing Parquet needs pyarrow: pip install "sksmooth[cli]"'
        ) from None
    return lambda frame, file: frame.to_parquet(file, index=False)
