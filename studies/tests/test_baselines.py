"""``python -m studies.baselines --quick`` writes its tables, and the README's
short table is the baselines page's, as the script writes it."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from studies import baselines

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_writes_the_summary_and_the_per_table_means(tmp_path):
    output = tmp_path / "page.md"
    subprocess.run(
        [sys.executable, "-m", "studies.baselines", "--quick", "--output", str(output)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    text = output.read_text()
    # and its figure beside the page, from the same rows
    assert (tmp_path / "figures" / "page.png").read_bytes()[:4] == b"\x89PNG"
    assert text.startswith(baselines.START) and text.rstrip().endswith(baselines.END)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    n_labels = len(baselines.LABEL_SETS)
    # summary: a header, per label set the two baselines in both modes, the
    # quick run's recipes of each mode; per table: a header and iris per
    # label set
    recipes = [name for name in baselines.QUICK if name not in baselines.BASELINES]
    assert len(rows) == (1 + n_labels * (4 + len(recipes))) + (1 + n_labels)
    # one table: the summary's mean is that table's mean in the second table
    summary = [
        row for row in rows if row.startswith("| labels as given | clean | recipe |")
    ]
    per_table = [row for row in rows if row.startswith("| iris | clean |")]
    assert len(summary) == len(per_table) == 1
    recipe_mean = summary[0].split(" | ")[3]
    header = [line for line in text.splitlines() if line.startswith("| table |")][0]
    column = header.split(" | ").index("recipe")
    assert per_table[0].split(" | ")[column] == recipe_mean
    assert float(recipe_mean) > 0


def test_a_checked_tenth_of_each_given_label_is_drawn():
    given = np.repeat([0, 1, 2], [40, 25, 35])
    checked = baselines.checked_rows(given, split=3)
    assert [int(checked[given == k].sum()) for k in range(3)] == [4, 2, 4]
    np.testing.assert_array_equal(checked, baselines.checked_rows(given, split=3))


def test_readme_headline_is_the_pages_summary():
    readme = (ROOT / "README.md").read_text()
    start = readme.index(baselines.HEADLINE_START) + len(baselines.HEADLINE_START)
    block = readme[start : readme.index(baselines.HEADLINE_END)].strip()
    page = (ROOT / "docs" / "baselines.md").read_text()
    assert block == baselines.headline(page)
    n_recipes = sum(len(names) for names in baselines.HEADLINE.values())
    assert block.count("\n| ") == len(baselines.LABEL_SETS) * n_recipes


def test_headline_takes_the_rows_it_names():
    page = (
        f"{baselines.START}\n| mode | labels | contender | a |\n|---|---|---|---:|\n"
        "| labels as given | clean | LogisticRegressionCV | 1 |\n"
        "| labels as given | clean | recipe | 2 |\n"
        "| 10% verified | clean | recipe | 3 |\n"
        f"| 10% verified | clean | verified | 4 |\n\nnote\n{baselines.END}\n"
    )
    assert baselines.headline(page).splitlines()[2:] == [
        "| labels as given | clean | recipe | 2 |",
        "| 10% verified | clean | verified | 4 |",
    ]
