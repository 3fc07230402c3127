"""Sphinx configuration of sksmooth's documentation.

Build: ``pip install ".[docs]"`` then ``python -m sphinx -W -b html docs
docs/_build/html``. ``SKSMOOTH_QUICK=1`` runs the gallery's examples in their
quick mode (as CI does).
"""

import importlib
import inspect
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))  # the examples import _example_utils

import sksmooth  # noqa: E402

project = "sksmooth"
author = "sksmooth developers"
copyright = "sksmooth developers"  # noqa: A001
release = sksmooth.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 shipped in the built site's _static/mathjax, so that formulas
    # render offline and from a built artefact (no CDN); it sets mathjax_path.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "myst_parser",  # the pages written in Markdown (benchmarks write into them)
]
# Maths in the Markdown pages: $...$ inline, $$...$$ displayed, and amsmath
# environments; rendered by the bundled MathJax like the reST pages' :math:.
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # links to a page's sections: [results](#results)
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "**.py.md5"]
autosummary_generate = True
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
plot_include_source = True
plot_html_show_formats = False
plot_html_show_source_link = False

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/[a-z]",  # run every example, not only plot_*.py
    "ignore_pattern": r"_example_utils\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "reset_modules": ("matplotlib",),
}

html_theme = "pydata_sphinx_theme"
html_title = f"sksmooth {release}"
html_static_path = []
# The landing page belongs to no section: its sidebar lists the whole site.
html_sidebars = {"index": ["sidebar-site.html"]}
html_theme_options = {
    "navigation_with_keys": False,
    # the page's own contents on the right of every page
    "secondary_sidebar_items": ["page-toc"],
    "show_toc_level": 2,
}


# --- the API reference, derived from the package's public names -------------
# Every module's public names: its __all__, else what it defines without a
# leading underscore, so a new public name appears without editing here. A name
# that an earlier module already lists (the estimators and smooth_labels,
# exported by sksmooth itself) is listed once, there.
API_MODULES = [
    ("sksmooth", "Estimators and label smoothing"),
    ("sksmooth.model_selection", "Choosing epsilon"),
    ("sksmooth.targets", "Smoothing functions and soft targets"),
    ("sksmooth.metrics", "Calibration metrics"),
    ("sksmooth.plotting", "Plotting"),
    ("sksmooth.datasets", "Label noise"),
]


def public_names(module):
    if hasattr(module, "__all__"):
        return sorted(module.__all__)
    return sorted(
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module.__name__
    )


def write_api_page():
    lines = [
        ".. This page is written by conf.py from the modules' public names.",
        "",
        "API reference",
        "=============",
        "",
    ]
    listed = set()
    for module_name, title in API_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        names = [
            name
            for name in public_names(module)
            if name != "__version__" and name not in listed
        ]
        listed.update(names)
        lines += [
            title,
            "-" * len(title),
            "",
            f".. currentmodule:: {module_name}",
            "",
            ".. autosummary::",
            "   :toctree: generated/",
            "",
            *(f"   {name}" for name in names),
            "",
        ]
    text = "\n".join(lines)
    page = DOCS / "api.rst"
    if not page.exists() or page.read_text() != text:
        page.write_text(text)


write_api_page()
