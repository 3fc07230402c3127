"""The package's shape, read from its source with ``ast``: every module has a
floor, imports run one way (down the floors of the architecture page, never in
a circle, counting imports inside functions), no import hides inside a function
but the lazy Dask backend, no module imports another's underscore name or
reassigns another module's attribute, modules and functions stay small enough
to read, and ``ruff format`` owns the layout.

Each rule is a function returning its violations in a tree of modules; the
tests run them on ``sksmooth/``, and :func:`test_each_rule_fails_on_a_planted_violation`
runs them on a small planted package that breaks each rule once.
"""

import ast
import re
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sksmooth"
TESTS = Path(__file__).resolve().parent
ARCHITECTURE_PAGE = PACKAGE.parent / "docs" / "architecture.md"

# The floors of docs/architecture.md: a module imports only from its own
# floor or lower ones (a subpackage's modules from each other as well). A
# subpackage's entry covers its modules; the package itself ("sksmooth", its
# __init__) covers nothing else, so a new module must be registered here.
FLOORS = {
    "sksmooth._validation": 1,
    "sksmooth._convergence": 1,
    "sksmooth._capabilities": 1,
    "sksmooth.datasets": 1,
    "sksmooth._targets": 2,
    "sksmooth._verified": 2,
    "sksmooth.targets": 2,
    "sksmooth._heads": 3,
    "sksmooth._loss": 3,
    "sksmooth._mlp_loss": 3,
    "sksmooth._solvers": 3,
    "sksmooth._paths": 3,
    "sksmooth._blas_threads": 3,
    "sksmooth._rows": 3,
    "sksmooth._boosting_loss": 3,
    "sksmooth._dask": 4,
    "sksmooth._backend": 4,
    "sksmooth._base": 5,
    "sksmooth.linear_model": 5,
    "sksmooth.neural_network": 5,
    "sksmooth.boosting": 5,
    "sksmooth.meta": 6,
    "sksmooth.model_selection": 7,
    "sksmooth.metrics": 8,
    "sksmooth.plotting": 8,
    "sksmooth._demo": 8,
    "sksmooth.cli": 9,
    "sksmooth.__main__": 10,
    "sksmooth": 10,  # the package's public face
}
ROOT = "sksmooth"
# The modules that may import sksmooth code inside a function, and what:
# the lazy import of the optional Dask backend, and the command line's entry
# point, which imports the commands (and with them scikit-learn) only once the
# arguments are parsed, so that --help does not wait for them (as the package
# and the CLI's __init__ import their public names on first use, below).
LAZY_IMPORTERS = {
    "sksmooth._backend": {"sksmooth._dask._api"},
    "sksmooth.cli._entry": {"sksmooth.cli._main"},
    "sksmooth.cli": {"sksmooth.cli._models"},
}
# The modules that may call importlib.import_module with a computed name: the
# package's public face, whose module __getattr__ imports each public name's
# module on first use (PEP 562). Its `if TYPE_CHECKING:` imports name the
# same modules, so the floors and cycles above still see them.
DYNAMIC_IMPORTERS = {"sksmooth"}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
# The solver and path packages (issue 34): smaller modules, and functions that
# take a problem object rather than a list of parameters.
SOLVER_PACKAGES = ("sksmooth._solvers", "sksmooth._paths")
MAX_SOLVER_MODULE_LINES = 500
MAX_SOLVER_PARAMETERS = 8
# The search knows learners through their public methods and their declared
# path, never a solver or a path driver.
SEARCH = "sksmooth.model_selection"
# Layout markers left in the files the search's rewrite (issue 27, item 3)
# replaces; each count may only shrink, and the entry goes with the rewrite.
FMT_MARKERS_PENDING: dict[str, int] = {}


def modules_in(package: Path) -> dict[str, Path]:
    """``{dotted name: path}`` of every module under ``package``."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = modules_in(PACKAGE)


def group_of(module: str) -> str | None:
    """The entry of FLOORS a module belongs to (a subpackage as a whole), or
    None for a module registered nowhere (the package's own entry holds only
    its ``__init__``)."""
    while module not in FLOORS:
        module = module.rpartition(".")[0]
        if module in ("", ROOT):
            return None
    return module


def floor_of(module: str) -> int | None:
    group = group_of(module)
    return None if group is None else FLOORS[group]


def import_module_call(node):
    """The argument node of an ``importlib.import_module(...)`` or
    ``__import__(...)`` call, else None."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return node.args[0] if name in ("import_module", "__import__") else None


def imports(path: Path):
    """``(imported module, names, line, inside a function)`` of every absolute
    import of sksmooth code in the module at ``path``, ``import_module`` calls
    with a literal name included (a relative import is a violation of its
    own, see :func:`relative_imports`; a computed name one too, see
    :func:`dynamic_imports`)."""
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef
            )
            name = import_module_call(child)
            if (
                isinstance(name, ast.Constant)
                and isinstance(name.value, str)
                and name.value.partition(".")[0] == ROOT
            ):
                found.append((name.value, [], child.lineno, in_function))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.partition(".")[0] == ROOT:
                        found.append((alias.name, [], child.lineno, in_function))
            elif (
                isinstance(child, ast.ImportFrom)
                and child.level == 0
                and child.module.partition(".")[0] == ROOT
            ):
                names = [alias.name for alias in child.names]
                found.append((child.module, names, child.lineno, in_function))
            visit(child, nested)

    visit(ast.parse(path.read_text()), False)
    return found


def resolved(modules, target, names):
    """The modules an import statement loads: ``from pkg import sub`` loads
    the submodule ``pkg.sub``."""
    submodules = [f"{target}.{name}" for name in names if f"{target}.{name}" in modules]
    return submodules or [target]


# ----------------------------------------------------------------- the rules
def unregistered(modules):
    return [f"{module} has no floor" for module in modules if floor_of(module) is None]


def relative_imports(modules):
    return [
        f"{module}:{node.lineno} imports relatively"
        for module, path in modules.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.level
    ]


def upward_imports(modules):
    found = []
    for module, path in modules.items():
        for target, names, line, _ in imports(path):
            for loaded in resolved(modules, target, names):
                mine, theirs = floor_of(module), floor_of(loaded)
                if group_of(loaded) == group_of(module) or None in (mine, theirs):
                    continue  # within a module or a subpackage; or unregistered
                if theirs > mine:
                    found.append(
                        f"{module}:{line} (floor {mine}) imports {loaded} "
                        f"(floor {theirs})"
                    )
    return found


def cycles(modules):
    """One cycle of the import graph per strongly connected knot met."""
    graph = {
        module: {
            loaded
            for target, names, _, _ in imports(path)
            for loaded in resolved(modules, target, names)
            if loaded in modules
        }
        for module, path in modules.items()
    }
    state, found = {}, []

    def walk(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(" -> ".join(trail[trail.index(nxt) :] + [nxt]))
            elif nxt not in state:
                walk(nxt, [*trail, nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    return found


def imports_inside_functions(modules):
    return [
        f"{module}:{line} imports {target} inside a function"
        for module, path in modules.items()
        for target, _, line, in_function in imports(path)
        if in_function and target not in LAZY_IMPORTERS.get(module, ())
    ]


def dynamic_imports(modules):
    """``import_module`` calls with a computed name, which no rule above can
    follow, outside the registered :data:`DYNAMIC_IMPORTERS`."""
    found = []
    for module, path in modules.items():
        if module in DYNAMIC_IMPORTERS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = import_module_call(node)
            if name is not None and not isinstance(name, ast.Constant):
                found.append(f"{module}:{node.lineno} imports a computed name")
    return found


def underscore_imports(modules):
    """Imports of another module's underscore name; a subpackage's modules may
    import each other's private submodules."""
    found = []
    for module, path in modules.items():
        for target, names, line, _ in imports(path):
            private = [
                name
                for name in names
                if name.startswith("_")
                and not (
                    f"{target}.{name}" in modules
                    and group_of(target) == group_of(module)
                )
            ]
            if private:
                found.append(f"{module}:{line} imports {private} from {target}")
    return found


def reassigned_module_attributes(modules):
    """Assignments to an attribute of an imported module (``warnings.warn =
    ...``, ``setattr(np, ...)``): a process-wide patch."""
    found = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text())
        imported = {
            (alias.asname or alias.name).partition(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = (
                    node.targets if isinstance(node, ast.Assign) else [node.target]
                )
            elif isinstance(node, ast.Delete):
                targets = node.targets
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("setattr", "delattr")
                and node.args
            ):
                targets = [ast.Attribute(value=node.args[0], attr="?")]
            for target in targets:
                base = target
                while isinstance(base, ast.Attribute):
                    base = base.value
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(base, ast.Name)
                    and base.id in imported
                ):
                    found.append(f"{module}:{node.lineno} assigns to {base.id}.")
    return found


def oversized(modules):
    found = []
    for module, path in modules.items():
        source = path.read_text()
        n_lines = len(source.splitlines())
        if n_lines > MAX_MODULE_LINES:
            found.append(f"{module} has {n_lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body
                if (
                    body
                    and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)
                ):
                    body = body[1:]  # the docstring does not count
                if not body:
                    continue
                code = body[-1].end_lineno - body[0].lineno + 1
                if code > MAX_FUNCTION_LINES:
                    found.append(f"{module}.{node.name} has {code} lines of code")
    return found


def layout_markers(modules, pending=None):
    """``# fmt: skip`` / ``# fmt: off`` comments: layout kept from ``ruff
    format`` (the words in a string do not count)."""
    pending = FMT_MARKERS_PENDING if pending is None else pending
    found = []
    for module, path in modules.items():
        with path.open("rb") as source:
            comments = [
                token.string
                for token in tokenize.tokenize(source.readline)
                if token.type == tokenize.COMMENT
            ]
        count = sum("fmt: skip" in text or "fmt: off" in text for text in comments)
        if count > pending.get(module, 0):
            found.append(f"{module} has {count} fmt: skip / fmt: off markers")
    return found


def solver_package_limits(modules):
    """In the solver and path packages: no module over
    ``MAX_SOLVER_MODULE_LINES`` lines, no function with more than
    ``MAX_SOLVER_PARAMETERS`` parameters (``self`` not counted)."""
    found = []
    for module, path in modules.items():
        if group_of(module) not in SOLVER_PACKAGES:
            continue
        source = path.read_text()
        n_lines = len(source.splitlines())
        if n_lines > MAX_SOLVER_MODULE_LINES:
            found.append(f"{module} has {n_lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args
                names = [
                    a.arg
                    for a in arguments.posonlyargs
                    + arguments.args
                    + arguments.kwonlyargs
                ]
                count = len(names) + bool(arguments.vararg) + bool(arguments.kwarg)
                count -= bool(names) and names[0] in ("self", "cls")
                if count > MAX_SOLVER_PARAMETERS:
                    found.append(f"{module}.{node.name} takes {count} parameters")
    return found


def search_imports_of_solvers(modules):
    """The search imports no solver or path module (it asks the learners)."""
    return [
        f"{module}:{line} imports {loaded}"
        for module, path in modules.items()
        if group_of(module) == SEARCH
        for target, names, line, _ in imports(path)
        for loaded in resolved(modules, target, names)
        if group_of(loaded) in SOLVER_PACKAGES
    ]


RULES = [
    unregistered,
    relative_imports,
    upward_imports,
    cycles,
    imports_inside_functions,
    dynamic_imports,
    underscore_imports,
    reassigned_module_attributes,
    oversized,
    layout_markers,
    solver_package_limits,
    search_imports_of_solvers,
]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_package_keeps_the_rule(rule):
    assert rule(MODULES) == []


def floors_on_the_page(text: str) -> dict[str, int]:
    """``{module: floor}`` of the floor table of the architecture page: each
    row's floor, and the modules it names (``x.py``, a subpackage ``x/``)."""
    found = {}
    for line in text.splitlines():
        row = re.match(r"\|\s*(\d+)\s*\|([^|]*)\|", line)
        if row is None:
            continue
        for name in re.findall(r"`([^`]+)`", row.group(2)):
            stem = name.removesuffix("/").removesuffix(".py")
            module = ROOT if stem == "__init__" else f"{ROOT}.{stem}"
            found[module] = int(row.group(1))
    return found


def test_the_pages_floor_table_is_the_floor_list():
    assert floors_on_the_page(ARCHITECTURE_PAGE.read_text()) == FLOORS


def test_the_floor_table_reader_sees_a_drifted_row():
    table = "| 3 | `_loss.py`, `_solvers/` | losses |\n| 10 | `__init__.py` | x |\n"
    assert floors_on_the_page(table) == {
        "sksmooth._loss": 3,
        "sksmooth._solvers": 3,
        "sksmooth": 10,
    }


def test_the_tests_keep_the_formatter_rule():
    tests = {f"tests.{path.stem}": path for path in TESTS.glob("*.py")}
    assert len(tests) > 30
    assert layout_markers(tests, {}) == []


def test_each_rule_fails_on_a_planted_violation(tmp_path):
    """A small package that breaks each rule once; every rule reports its own
    violation, and only it."""
    package = tmp_path / ROOT
    for subpackage in ("model_selection", "_paths", "_solvers"):
        (package / subpackage).mkdir(parents=True)
    files = {
        "__init__.py": "",
        # a cycle (closed inside a function), which is also an import up
        # from floor 1 and an import inside a function
        "_validation.py": "def f():\n    from sksmooth.meta import g\n",
        "meta.py": "from sksmooth._validation import f\n\n\ndef g():\n    pass\n",
        # another module's underscore name
        "_rows.py": "from sksmooth._targets import _spread\n",
        "_targets.py": "def _spread():\n    pass\n",
        # a module registered nowhere
        "helpers.py": "",
        # an import by a computed name, and a literal one inside a function
        "_blas_threads.py": (
            "import importlib\n\n\ndef f(name):\n"
            "    return importlib.import_module(name)\n"
        ),
        "_demo.py": (
            "import importlib\n\n\ndef f():\n"
            '    return importlib.import_module("sksmooth._rows")\n'
        ),
        # a patch of another module
        "_boosting_loss.py": "import warnings\n\nwarnings.warn = print\n",
        # a module too long, and a function too long
        "_loss.py": "x = 1\n" * (MAX_MODULE_LINES + 1),
        "_heads.py": "def long():\n" + "    x = 1\n" * (MAX_FUNCTION_LINES + 1),
        # layout kept from the formatter
        "_mlp_loss.py": "x = [1,2]  # fmt: skip\n",
        # a relative import; within a subpackage, private submodules are fine
        "model_selection/__init__.py": "from sksmooth.model_selection import _search\n",
        "model_selection/_search.py": "from . import _path\n",
        "model_selection/_path.py": "from sksmooth._solvers import lbfgs\n",
        # a path module too long, a solver taking too many parameters
        "_paths/__init__.py": "",
        "_paths/_long.py": "x = 1\n" * (MAX_SOLVER_MODULE_LINES + 1),
        "_solvers/__init__.py": "def lbfgs(a, b, c, d, e, f, g, h, i):\n    pass\n",
    }
    for name, text in files.items():
        (package / name).write_text(text)
    planted = modules_in(package)
    expected = {
        unregistered: ["sksmooth.helpers has no floor"],
        relative_imports: ["sksmooth.model_selection._search:1 imports relatively"],
        upward_imports: ["sksmooth._validation:2 (floor 1) imports sksmooth.meta"],
        cycles: ["sksmooth._validation -> sksmooth.meta -> sksmooth._validation"],
        imports_inside_functions: [
            "sksmooth._demo:5 imports sksmooth._rows inside a function",
            "sksmooth._validation:2 imports sksmooth.meta inside a function",
        ],
        dynamic_imports: ["sksmooth._blas_threads:5 imports a computed name"],
        underscore_imports: ["sksmooth._rows:1 imports ['_spread']"],
        reassigned_module_attributes: [
            "sksmooth._boosting_loss:3 assigns to warnings."
        ],
        oversized: [
            f"sksmooth._heads.long has {MAX_FUNCTION_LINES + 1} lines of code",
            f"sksmooth._loss has {MAX_MODULE_LINES + 1} lines",
        ],
        layout_markers: ["sksmooth._mlp_loss has 1 fmt: skip"],
        solver_package_limits: [
            f"sksmooth._paths._long has {MAX_SOLVER_MODULE_LINES + 1} lines",
            "sksmooth._solvers.lbfgs takes 9 parameters",
        ],
        search_imports_of_solvers: [
            "sksmooth.model_selection._path:1 imports sksmooth._solvers"
        ],
    }
    assert set(expected) == set(RULES)
    for rule, messages in expected.items():
        found = rule(planted, {}) if rule is layout_markers else rule(planted)
        assert len(found) == len(messages), (rule.__name__, found)
        for message, seen in zip(messages, sorted(found), strict=True):
            assert seen.startswith(message), (rule.__name__, found)
