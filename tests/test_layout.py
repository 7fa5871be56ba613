"""The package's shape: imports only point down, no cycles, modules and functions that a
reader can take in, and the boundaries STYLE asks for (rules without Mesa)."""

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
LONG_REASON = "# long:"  # a longer function says why on the line above its definition


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Every sim module a module imports, at any depth (function-level imports included)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from sim.x import y` imports module sim.x.y when there is one, else from sim.x
            names = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module
                for a in node.names
            ]
        else:
            continue
        out |= {n for n in names if n in MODULES}
    return out


def _graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for name, path in MODULES.items():
        g.add_node(name)
        for target in _imports(path):
            if target != name:
                g.add_edge(name, target)
    return g


def _unit(module: str) -> str:
    """The layer a module belongs to: its subpackage, or itself for a top-level module."""
    parts = module.split(".")
    return ".".join(parts[:2])


def test_the_module_import_graph_has_no_cycle():
    cycles = list(nx.simple_cycles(_graph()))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_subpackages_import_each_other_in_one_direction_only():
    # `sim` itself is the facade (it re-exports the API), so its edges do not count.
    g = nx.DiGraph()
    for a, b in _graph().edges:
        ua, ub = _unit(a), _unit(b)
        if ua != ub and "sim" not in (ua, ub):
            g.add_edge(ua, ub)
    cycles = list(nx.simple_cycles(g))
    assert not cycles, f"layers importing each other: {cycles[:5]}"
    order = list(nx.topological_sort(g.reverse()))
    assert order.index("sim.scenario") < order.index("sim.world") < order.index("sim.rules")
    assert order.index("sim.rules") < order.index("sim.model") < order.index("sim.engines")


def test_rules_do_not_import_mesa_or_the_model():
    for name, path in MODULES.items():
        if not name.startswith("sim.rules"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            mods = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            bad = [m for m in mods if m.split(".")[0] == "mesa" or m.startswith("sim.model")]
            assert not bad, f"{name} imports {bad}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_and_functions_stay_readable(name):
    path = MODULES[name]
    lines = path.read_text().splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{name}: {len(lines)} lines"
    for node in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = node.end_lineno - node.lineno + 1
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        reason = lines[first - 2].strip() if first >= 2 else ""
        assert length <= MAX_FUNCTION_LINES or reason.startswith(LONG_REASON), (
            f"{name}.{node.name}: {length} lines and no '{LONG_REASON} ...' comment above it"
        )
