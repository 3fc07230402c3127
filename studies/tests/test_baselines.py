"""``python -m studies.baselines --quick`` writes its tables, and the README's
short table is the baselines page's, as the script writes it."""

import subprocess
import sys
from pathlib import Path

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
    # summary: a header and 2 noises x 3 contenders; per table: a header and
    # iris clean and noisy
    assert len(rows) == (1 + 2 * 3) + (1 + 2)
    # one table: the summary's mean is that table's mean in the second table
    summary = [row for row in rows if row.startswith("| clean | recipe |")]
    per_table = [row for row in rows if row.startswith("| iris | clean |")]
    assert len(summary) == len(per_table) == 1
    recipe_mean = summary[0].split(" | ")[2]
    assert per_table[0].rstrip(" |").split(" | ")[-1] == recipe_mean
    assert float(recipe_mean) > 0


def test_readme_headline_is_the_pages_summary():
    readme = (ROOT / "README.md").read_text()
    start = readme.index(baselines.HEADLINE_START) + len(baselines.HEADLINE_START)
    block = readme[start : readme.index(baselines.HEADLINE_END)].strip()
    page = (ROOT / "docs" / "baselines.md").read_text()
    assert block == baselines.headline(page)
    assert block.count("\n| ") == 2 * 3  # two noises, three contenders


def test_headline_takes_the_rows_it_names():
    page = (
        f"{baselines.START}\n| labels | contender | a |\n|---|---|---:|\n"
        "| clean | LogisticRegressionCV | 1 |\n| clean | targets | 2 |\n"
        f"| clean | recipe | 3 |\n\nnote\n{baselines.END}\n"
    )
    assert baselines.headline(page).splitlines()[2:] == [
        "| clean | LogisticRegressionCV | 1 |",
        "| clean | recipe | 3 |",
    ]
