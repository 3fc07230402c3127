"""The docs agree with what they point to: README sections, extras, options.

The README is rewritten often; a page that sends readers to one of its
sections by name ("the README's "Scaling out" section") or by anchor
(``README.md#scaling-out``) must find it there. The README's list of extras
names every extra of ``pyproject.toml``, and the command-line synopses every
option of ``sksmooth fit``. The usage page's signatures give each
estimator's parameters and defaults as the class has them.
"""

import ast
import inspect
import re
from pathlib import Path

import pytest

from sksmooth import (
    LabelSmoothingClassifier,
    LabelSmoothingClassifierCV,
    SoftmaxRegression,
    SoftMLPClassifier,
)
from sksmooth.cli._parser import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = sorted(
    path
    for pattern in ("*.md", "*.rst")
    for path in (ROOT / "docs").rglob(pattern)
    if "_build" not in path.parts
)
QUOTE = "\"'“”‘’"
# "the README's "X" section", "the "X" section of the README"; the words may
# wrap onto the next line.
NAMED = [
    re.compile(rf"README(?:\.md)?['’]s\s+[{QUOTE}]([^{QUOTE}]+)[{QUOTE}]\s+section"),
    re.compile(rf"[{QUOTE}]([^{QUOTE}]+)[{QUOTE}]\s+section\s+of\s+the\s+README"),
]
ANCHOR = re.compile(r"README\.md#([\w-]+)")


def readme_headings() -> list[str]:
    """The README's headings, outside fenced code blocks."""
    headings, fenced = [], False
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            headings.append(line.lstrip("#").strip())
    return headings


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.lower())
    return text.replace(" ", "-")


def references(text: str):
    """``(kind, name)`` of every README section a page names."""
    flat = " ".join(text.split())
    for pattern in NAMED:
        for match in pattern.finditer(flat):
            yield "section", match.group(1)
    for match in ANCHOR.finditer(flat):
        yield "anchor", match.group(1)


def test_the_patterns_find_both_kinds_of_reference():
    text = (
        'See the README\'s "Choosing ε"\nsection, the "Install and try it" section '
        "of the README and [it](../README.md#when-smoothing-helps)."
    )
    assert list(references(text)) == [
        ("section", "Choosing ε"),
        ("section", "Install and try it"),
        ("anchor", "when-smoothing-helps"),
    ]
    assert slug("When smoothing helps") == "when-smoothing-helps"


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_every_readme_section_a_page_names_exists(page):
    headings = readme_headings()
    anchors = {slug(heading) for heading in headings}
    missing = [
        name
        for kind, name in references(page.read_text())
        if (name not in headings if kind == "section" else name not in anchors)
    ]
    assert not missing, (
        f"{page.relative_to(ROOT)} names README sections that README.md does not "
        f"have: {missing}; its headings are {headings}"
    )


def test_the_readme_names_every_extra():
    # the keys of [project.optional-dependencies] (tomllib is Python >= 3.11)
    table = (
        (ROOT / "pyproject.toml")
        .read_text()
        .split("[project.optional-dependencies]\n")[1]
    )
    extras = re.findall(r"^([\w-]+) = ", table.split("\n[")[0], flags=re.M)
    assert "lightgbm" in extras and "cli" in extras
    named = set(re.findall(r"\.\[(\w+)\]", README.read_text()))
    assert not set(extras) - named, f"extras missing from README: {set(extras) - named}"


def fit_options(capsys) -> set[str]:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["fit", "--help"])
    return set(re.findall(r"--[a-z][a-z-]*", capsys.readouterr().out)) - {"--help"}


def synopsis(text: str, start: str) -> str:
    """The first code block after ``start``: its lines from ``sksmooth fit`` on."""
    text = text[text.index(start) :]
    block = re.search(r"(?:```bash|code-block:: bash)\n(.*?)(?:```|\n\n\S)", text, re.S)
    return block.group(1)


@pytest.mark.parametrize(
    ("page", "start"),
    [("user_guide.rst", "The command line\n"), ("command_line.md", "# Command line")],
)
def test_the_command_line_synopses_name_every_fit_option(capsys, page, start):
    block = synopsis((ROOT / "docs" / page).read_text(), start)
    missing = sorted(option for option in fit_options(capsys) if option not in block)
    assert not missing, f"{page}'s synopsis lacks {missing}"


def test_the_quick_start_says_where_the_numbers_on_clean_labels_are():
    quick_start = README.read_text().split("\n## ")[0]  # up to the first section
    assert "clean labels" in quick_start
    assert "docs/baselines.md" in quick_start


@pytest.mark.parametrize(
    "estimator",
    [
        SoftmaxRegression,
        SoftMLPClassifier,
        LabelSmoothingClassifier,
        LabelSmoothingClassifierCV,
    ],
    ids=lambda cls: cls.__name__,
)
def test_the_usage_page_gives_every_parameter_and_its_default(estimator):
    # The page writes each signature as "- `Name(a=1, *, b="x", ...)` —";
    # parameters and defaults must be the class's own, in its order.
    text = (ROOT / "docs" / "usage.md").read_text()
    match = re.search(rf"^- `{estimator.__name__}\((.*?)\)`\s+—", text, re.M | re.S)
    assert match, f"docs/usage.md has no signature for {estimator.__name__}"
    # written as a Python parameter list: parse it as one
    args = ast.parse(f"def f({match.group(1)}): pass").body[0].args
    names = [a.arg for a in args.args + args.kwonlyargs]
    values = [ast.literal_eval(d) for d in args.defaults] + [
        ast.literal_eval(d) for d in args.kw_defaults
    ]
    written = list(zip(names, values, strict=True))
    own = [
        (name, p.default) for name, p in inspect.signature(estimator).parameters.items()
    ]
    assert written == own
