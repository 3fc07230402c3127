"""``studies.noisy_labels --quick`` runs in-process and writes its summary
table; ``studies._real_tables`` reads every table it can find.

The quick run uses the digits table, which ships with scikit-learn: it needs
no benchmark-only package. cleanlab's rows are checked only where cleanlab is
installed; the other tables only where their package is."""

import importlib.util

import numpy as np
import pytest

from studies import noisy_labels as study
from studies._real_tables import TABLES, load_table

# The boosted trees' quick run costs as much as the other two together; CI
# runs these two and checks the trees' configuration below.
LEARNERS = ("softmax", "mlp")
ROW_NOISES = ("clean", "symmetric 20%", "symmetric 40%", "pairs 30%", "**all**")


@pytest.fixture(scope="module")
def quick_page(tmp_path_factory):
    page = tmp_path_factory.mktemp("noisy") / "noisy_labels.md"
    assert (
        study.main(
            [
                "--quick",
                "--tables",
                "digits",
                "--learners",
                *LEARNERS,
                "--output",
                str(page),
            ]
        )
        == 0
    )
    # the figure, beside the page
    assert (page.parent / "figures" / "noisy_labels.png").read_bytes()[:4] == b"\x89PNG"
    return page.read_text()


def table_rows(page):
    block = page[page.index(study.START) : page.index(study.END)]
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in block.splitlines()
        if line.startswith("| ") and not line.startswith("| learner")
    ]


def expected_contenders():
    names = [study.BASELINE, "temperature scaling", "CV targets+reg+T"]
    if importlib.util.find_spec("cleanlab") is not None:
        names.append(study.CLEANLAB)
    if study.has_smooth_parameter():
        names += ["CV predictions+reg+T", "CV predictions confusion+reg+T"]
    return names


def test_quick_run_writes_one_row_per_learner_noise_and_contender(quick_page):
    assert quick_page.startswith("---\norphan: true\n---\n")  # the new page's intro
    assert quick_page.count(study.START) == 1 and quick_page.count(study.END) == 1
    rows = table_rows(quick_page)
    expected = [
        (learner, noise, contender)
        for learner in LEARNERS
        for noise in ROW_NOISES
        for contender in expected_contenders()
    ]
    assert [tuple(row[:3]) for row in rows] == expected
    for row in rows:
        log_loss, accuracy, ece, seconds = map(float, row[3:7])
        assert 0 < log_loss < 10 and 0 < accuracy <= 1 and 0 <= ece <= 1
        assert seconds > 0
        # one cell per noise (1 table, 1 seed), four in the "all" rows
        n = "4" if row[1] == "**all**" else "1"
        hold = row[9]
        assert hold == "–" if row[2] == study.BASELINE else hold.endswith(f"/{n}")
    if not study.has_smooth_parameter():
        assert "CV predictions+reg+T: not run" in quick_page


def test_quick_run_counts_cells_against_cleanlab(quick_page):
    pytest.importorskip("cleanlab")
    for row in table_rows(quick_page):
        n = "4" if row[1] == "**all**" else "1"
        for count in row[7:9]:
            assert count == "–" if row[2] == study.CLEANLAB else count.endswith(f"/{n}")


def test_boosted_trees_are_early_stopped_lightgbm_at_hgb_defaults():
    pytest.importorskip("lightgbm")
    [(name, trees, grid)] = study.learners(3, quick=False, names=("lgbm",))
    assert name == "lgbm" and grid == {"min_child_samples": [5, 20, 50]}
    params = trees.get_params()
    # HistGradientBoostingClassifier's defaults, more trees, early stopping
    assert params["learning_rate"] == 0.1 and params["num_leaves"] == 31
    assert params["min_child_samples"] == 20 and params["reg_lambda"] == 0.0
    assert params["n_estimators"] == 300 and params["early_stopping"] is True
    assert params["random_state"] == 3 and params["n_jobs"] == 1


def test_placeholder_contenders_wait_for_the_smooth_parameter():
    cell = study.Cell(
        study.SoftmaxRegression(), {"C": [1.0]}, 3, 0, epsilons=3, cleanlab_folds=3
    )
    build = study.CONTENDERS["CV predictions+reg+T"]
    if study.has_smooth_parameter():
        assert build(cell).get_params()["smooth"] == "predictions"
    else:
        with pytest.raises(study.Skip, match="smooth"):
            build(cell)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_loads_as_documented(name):
    source = TABLES[name]
    if importlib.util.find_spec(source.package) is None:
        pytest.skip(f"{name} ships in {source.pip_name}, not installed")
    X, y = load_table(name)
    assert X.dtype == np.float64 and X.ndim == 2 and np.isfinite(X).all()
    assert len(X) == len(y) == source.rows
    assert len(np.unique(y)) == source.n_classes
