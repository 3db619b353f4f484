"""The house's layers, checked on every run by walking each module's imports (ast, no import executed).

contracts <- mock_server, contracts <- conformance; bench and live sit on top. `contracts` imports
nothing of the project; `mock_server` and `conformance` never import each other, except that
`conformance.target` may start the mock in-process (its docstring says why).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ("contracts", "mock_server", "conformance", "bench", "live", "tests")
ALLOWED: dict[str, set[str]] = {
    "contracts": set(),
    "mock_server": {"contracts"},
    "conformance": {"contracts"},
    "bench": {"contracts", "mock_server", "conformance"},
    "live": {"contracts", "mock_server", "conformance"},
}
EXCEPTIONS = {("conformance.target", "mock_server")}
"""(module, package) pairs allowed across a layer, each for a reason its module documents."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_packages(path: Path) -> set[str]:
    """The top-level project packages a module imports, anywhere in it (function-level imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PROJECT)


def modules() -> list[Path]:
    return sorted(p for package in ALLOWED for p in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_only_its_lower_layers(path: Path) -> None:
    name = module_name(path)
    layer = name.split(".")[0]
    crossing = {
        package for package in imported_packages(path) - {layer} - ALLOWED[layer] if (name, package) not in EXCEPTIONS
    }
    assert not crossing, f"{name} imports {sorted(crossing)}; {layer} may import only {sorted(ALLOWED[layer])}"


def test_the_walk_sees_a_crossing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from mock_server.app import create_app\n", encoding="utf-8")
    assert imported_packages(bad) == {"mock_server"}
