"""The built documentation, as a browser gets it: run after the build, on it.

    SKSMOOTH_DOCS_HTML=docs/_build/html python -m pytest docs/tests

(``.ci/run`` runs it on the site it builds.) It reads the built HTML and the
Markdown and reST sources:

- no page loads its maths renderer from another site: MathJax ships in
  ``_static`` and every page with maths loads it from there;
- every formula in the sources is maths markup (``$...$``, ``$$...$$``,
  ``:math:``), not code: no code span, and no fenced block without a
  language, holds maths symbols;
- every page of a section lists every sibling in its sidebar, every page with
  sections has its in-page contents, and the landing page lists the site;
- the baselines, noisy-labels and performance pages open with a figure, the
  one their script writes (``docs/figures/``, copied byte for byte);
- no page says the same paragraph twice.
"""

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

DOCS = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("SKSMOOTH_DOCS_HTML", DOCS / "_build" / "html"))
# The pages of each section, as the section page's toctree lists them.
SECTIONS = ("using", "studies", "development")
# Each results page and the figure its script writes into docs/figures/.
FIGURES = {
    "baselines": "baselines.png",
    "noisy_labels": "noisy_labels.png",
    "performance": "performance.png",
}
# Characters of maths that code does not hold (Python names are ASCII).
MATHS = set("εΣ‖½·≤≥≈⟨⟩θλτπσ²ᵀ∈∑∏√")


def site_pages() -> list[Path]:
    if not (SITE / "index.html").exists():
        pytest.fail(
            f"no built site at {SITE}: build it first (python -m sphinx -b html "
            "docs docs/_build/html) or set SKSMOOTH_DOCS_HTML to its folder"
        )
    return sorted(
        path
        for path in SITE.rglob("*.html")
        if not path.relative_to(SITE).parts[0].startswith(("_", "plot_directive"))
    )


class Elements(HTMLParser):
    """The tags of a page with their attributes, and the text of some."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.paragraphs: list[str] = []
        self._depth = 0  # inside a <p>
        self._text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "p":
            self._depth += 1
            self._text = []

    def handle_endtag(self, tag):
        if tag == "p" and self._depth:
            self._depth -= 1
            self.paragraphs.append(" ".join("".join(self._text).split()))

    def handle_data(self, data):
        if self._depth:
            self._text.append(data)


def between(text: str, start: str, end: str) -> str:
    """The part of ``text`` from the first ``start`` to the next ``end``."""
    if start not in text:
        return ""
    rest = text[text.index(start) :]
    return rest[: rest.index(end)] if end in rest else rest


def links(html: str) -> set[str]:
    return {href.partition("#")[0] for href in re.findall(r'href="([^"]*)"', html)}


# ------------------------------------------------------------------ maths
def test_no_page_loads_a_maths_renderer_from_another_site():
    remote = []
    with_maths = 0
    for page in site_pages():
        text = page.read_text()
        for tag, attrs in Elements(text).tags:
            source = attrs.get("src") or attrs.get("href") or ""
            remote_renderer = re.match(r"(https?:)?//", source) and re.search(
                r"mathjax|katex|polyfill", source, flags=re.I
            )
            if tag in ("script", "link") and remote_renderer:
                remote.append(f"{page.name}: {source}")
        if 'class="math' in text:
            with_maths += 1
            depth = len(page.relative_to(SITE).parts) - 1
            local = "../" * depth + "_static/mathjax/tex-chtml.js"
            assert re.search(rf'src="{re.escape(local)}(\?[^"]*)?"', text), page.name
    assert not remote, remote
    assert with_maths >= 5  # the user guide and the study pages have maths
    assert (SITE / "_static" / "mathjax" / "tex-chtml.js").stat().st_size > 100_000


def code_with_maths(path: Path) -> list[str]:
    """Code spans and language-less fenced blocks holding maths symbols."""
    if path.suffix == ".rst":
        text = path.read_text()
        literals = re.findall(r"``([^`]+)``", text)
        return [lit for lit in literals if set(lit) & MATHS]
    found = []

    def walk(tokens):
        for token in tokens:
            if token.children:
                walk(token.children)
            if token.type == "code_inline" and set(token.content) & MATHS:
                found.append(token.content)
            if token.type == "fence" and not token.info and set(token.content) & MATHS:
                found.append(token.content[:60])

    walk(MarkdownIt("commonmark").enable("table").parse(path.read_text()))
    return found


SOURCES = sorted([*DOCS.glob("*.md"), *DOCS.glob("*.rst")])


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_every_formula_in_the_sources_is_maths_markup(path):
    assert code_with_maths(path) == []


def test_the_formula_check_finds_code_that_holds_maths(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "Fine: $\\varepsilon$, `epsilon=0.1`, `p @ T`.\n\n"
        "Not: `q = p·T` and\n\n```\nC · Σ_i w_i\n```\n\n"
        "```python\nx = 1  # ε in a comment of code is code\n```\n"
    )
    assert code_with_maths(page) == ["q = p·T", "C · Σ_i w_i\n"]


# ------------------------------------------------------------- navigation
def section_pages(section: str) -> list[str]:
    """The pages a section page's toctree lists, as built file names."""
    text = (SITE / f"{section}.html").read_text()
    wrapper = between(text, 'class="toctree-wrapper', "</div>")
    return sorted(link for link in links(wrapper) if link.endswith(".html"))


@pytest.mark.parametrize("section", SECTIONS)
def test_every_page_of_a_section_lists_its_siblings(section):
    pages = section_pages(section)
    assert len(pages) >= 2, pages
    for name in pages:
        text = (SITE / name).read_text()
        sidebar = between(text, '<nav class="bd-docs-nav', "</nav>")
        listed = links(sidebar) | {name}  # the page itself links to "#"
        missing = set(pages) - listed
        assert not missing, f"{name}'s sidebar lacks {sorted(missing)}"


def test_the_user_guide_sidebar_lists_its_section():
    pages = section_pages("using")
    assert "user_guide.html" in pages and "usage.html" in pages


def test_every_page_with_sections_has_its_contents_on_the_right():
    for page in site_pages():
        text = page.read_text()
        sections = re.findall(r'<section id="([^"]+)">\s*<h2>', text)
        if len(sections) < 2:
            continue
        toc = between(text, '<nav id="pst-page-toc-nav"', "</nav>")
        assert toc, f"{page.name} has {len(sections)} sections and no page contents"
        targets = set(re.findall(r'href="#([^"]+)"', toc))
        assert set(sections) <= targets, page.name


def test_the_landing_page_lists_the_site():
    text = (SITE / "index.html").read_text()
    sidebar = between(text, '<nav class="bd-docs-nav', "</nav>")
    for section in SECTIONS:
        assert f"{section}.html" in links(sidebar), section
        for name in section_pages(section):
            assert name in links(sidebar), name


# ---------------------------------------------------------------- figures
@pytest.mark.parametrize("page", sorted(FIGURES))
def test_the_results_pages_open_with_their_scripts_figure(page):
    text = (SITE / f"{page}.html").read_text()
    article = between(text, "<article", "</article>")
    after_title = article[article.index("</h1>") :]
    first = re.search(r"<(p|figure|div|section|table|ul|img)\b", after_title)
    assert first.group(1) == "figure", f"{page} opens with <{first.group(1)}>"
    image = re.search(r'<img[^>]*src="([^"]+)"', after_title).group(1)
    written = DOCS / "figures" / FIGURES[page]
    assert (SITE / image).read_bytes() == written.read_bytes()


# ------------------------------------------------------------- repetition
def test_no_page_says_a_paragraph_twice():
    """The pages written in docs/ (the gallery's and the API's are generated:
    a thumbnail repeats its example's title by design)."""
    pages = [page for page in site_pages() if page.parent == SITE]
    assert len(pages) >= 10
    for page in pages:
        paragraphs = [p for p in Elements(page.read_text()).paragraphs if len(p) >= 80]
        repeated = {p for p in paragraphs if paragraphs.count(p) > 1}
        assert not repeated, f"{page.name}: {sorted(repeated)[0][:120]}"
