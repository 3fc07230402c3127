"""The package's shape, read from its source with ``ast``: imports run one way
(down the floors of the architecture page, never in a circle, counting imports
inside functions), no module imports another's underscore name, and modules
and functions stay small enough to read."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sksmooth"

# The floors of docs/architecture.md: a module imports only from its own
# floor or lower ones (a subpackage's modules from each other as well).
FLOORS = {
    "sksmooth._validation": 1,
    "sksmooth.datasets": 1,
    "sksmooth._warnings": 1,
    "sksmooth._targets": 2,
    "sksmooth.targets": 2,
    "sksmooth._heads": 3,
    "sksmooth._loss": 3,
    "sksmooth._mlp_loss": 3,
    "sksmooth._optimize": 3,
    "sksmooth._path_solver": 3,
    "sksmooth._smoothing_path": 3,
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
# The one module that may import sksmooth code inside a function: the lazy
# import of the optional Dask backend.
LAZY_IMPORTERS = {"sksmooth._backend": {"sksmooth._dask._api"}}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def floor_of(module: str) -> int:
    while module not in FLOORS:
        module = module.rpartition(".")[0]
    return FLOORS[module]


def group_of(module: str) -> str:
    """The entry of FLOORS a module belongs to (a subpackage as a whole)."""
    while module not in FLOORS:
        module = module.rpartition(".")[0]
    return module


def imports(module: str):
    """``(imported module, names, line, inside a function)`` of every import of
    sksmooth code in ``module``."""
    tree = ast.parse(MODULES[module].read_text())
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef
            )
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.partition(".")[0] == "sksmooth":
                        found.append((alias.name, [], child.lineno, in_function))
            elif (
                isinstance(child, ast.ImportFrom)
                and child.module
                and child.module.partition(".")[0] == "sksmooth"
            ):
                names = [alias.name for alias in child.names]
                submodules = [
                    f"{child.module}.{name}"
                    for name in names
                    if f"{child.module}.{name}" in MODULES
                ]
                for target in submodules or [child.module]:
                    found.append((target, names, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def test_every_module_has_a_floor():
    assert all(floor_of(module) for module in MODULES)


def test_no_relative_imports():
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{module}:{node.lineno} imports relatively"


def test_imports_point_down_the_floors():
    for module in MODULES:
        for target, _, line, _ in imports(module):
            if group_of(target) == group_of(module):
                continue  # within a module or a subpackage
            assert floor_of(target) <= floor_of(module), (
                f"{module}:{line} (floor {floor_of(module)}) imports {target} "
                f"(floor {floor_of(target)})"
            )


def test_the_import_graph_has_no_cycle():
    graph = {
        module: {target for target, _, _, _ in imports(module) if target in MODULES}
        for module in MODULES
    }
    state = {}

    def walk(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = trail[trail.index(nxt) :] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                walk(nxt, [*trail, nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])


def test_no_import_inside_a_function_but_the_lazy_backend():
    for module in MODULES:
        for target, _, line, in_function in imports(module):
            if in_function:
                assert target in LAZY_IMPORTERS.get(module, ()), (
                    f"{module}:{line} imports {target} inside a function"
                )


def test_no_module_imports_another_modules_underscore_name():
    for module in MODULES:
        for target, names, line, _ in imports(module):
            private = [name for name in names if name.startswith("_")]
            assert not private, f"{module}:{line} imports {private} from {target}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_and_functions_are_small(module):
    source = MODULES[module].read_text()
    n_lines = len(source.splitlines())
    assert n_lines <= MAX_MODULE_LINES, f"{module} has {n_lines} lines"
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
            assert code <= MAX_FUNCTION_LINES, (
                f"{module}.{node.name} has {code} lines of code"
            )


def test_the_checks_can_fail(tmp_path):
    """The graph walk sees a cycle closed inside a function, and the floor
    check an import pointing up."""
    fake = tmp_path / "sksmooth"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "_validation.py").write_text("def f():\n    from sksmooth.meta import g\n")
    (fake / "meta.py").write_text("from sksmooth._validation import f\n")
    globals_ = globals()
    saved = globals_["MODULES"]
    globals_["MODULES"] = {
        ".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(
            ".__init__"
        ): p
        for p in fake.rglob("*.py")
    }
    try:
        with pytest.raises(pytest.fail.Exception, match="import cycle"):
            test_the_import_graph_has_no_cycle()
        with pytest.raises(AssertionError, match="floor 1"):
            test_imports_point_down_the_floors()
        with pytest.raises(AssertionError, match="inside a function"):
            test_no_import_inside_a_function_but_the_lazy_backend()
    finally:
        globals_["MODULES"] = saved
