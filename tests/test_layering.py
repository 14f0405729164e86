"""The layering STYLE of the project, checked on the source: the rules (services, the
transaction module, the domain errors, the schemas' plain parts) import no Flask, so that they
can be called from a CLI command, a job or a test without a request."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "miniapp_api"
WITHOUT_FLASK = [
    PACKAGE / "transaction.py",
    PACKAGE / "errors.py",
    *sorted((PACKAGE / "services").glob("*.py")),
]


def _imported_modules(path: Path) -> set[str]:
    """Every module the file imports, at any depth of the file (functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", WITHOUT_FLASK, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_rules_import_no_flask(path: Path):
    flask_imports = {
        name for name in _imported_modules(path) if name == "flask" or name.startswith("flask")
    }

    assert not flask_imports, f"{path.name} imports {sorted(flask_imports)}"
