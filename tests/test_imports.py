"""The import structure DESIGN.md fixes: ``sdk -> schemas <- mock_server``, never the server into the SDK or back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: DESIGN.md: "tests and the pytest plugin may use both" (the plugin starts the server in process).
MAY_USE_BOTH = {Path("sdk/testing/pytest_plugin.py")}


def _imported(path: Path) -> set[str]:
    """The top-level package of every module ``path`` imports (relative imports stay in their package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(("package", "forbidden"), [
    ("mock_server", {"sdk"}),
    ("sdk", {"mock_server"}),
    ("schemas", {"sdk", "mock_server", "flask", "httpx"}),
])
def test_package_imports_only_what_the_design_allows(package: str, forbidden: set[str]) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported(path) & forbidden)
        for path in sorted((ROOT / package).rglob("*.py"))
        if _imported(path) & forbidden and path.relative_to(ROOT) not in MAY_USE_BOTH
    }
    assert offenders == {}


def test_the_checker_sees_an_import(tmp_path: Path) -> None:
    # The walk must catch every spelling, or the test above could never fail.
    module = tmp_path / "m.py"
    module.write_text("import sdk.stathat\nfrom sdk._redact import MASK\ndef f():\n    import sdk\n")
    assert _imported(module) == {"sdk"}
