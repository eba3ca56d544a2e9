"""The repository's own map (docs/ARCHITECTURE.md) and the shape of its imports, checked so neither can go stale.

- Every module of `models`, `workflow`, `notifications` and `web` (web's packages by folder) is named in the map, and
  every path the map names exists: a module moved or added without its line in the map fails here.
- No module of ours imports one of ours inside a function. Such imports were how cycles between services were dodged
  (`service` ↔ `proposals` ↔ `council` ↔ `guards`); the layers (import-linter, `make lint`) only see the graph if
  every import is at the top. Two modules defer imports for reasons of their own, named below: the console script
  (so `dienhinh --help` stays fast) and gunicorn's settings (read by the master before the metrics directory is
  set, which must happen before prometheus_client is imported).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "docs" / "ARCHITECTURE.md"
OURS = ("models", "workflow", "notifications", "web")
DEFERRED_IMPORTS_ALLOWED = {"web/cli.py", "web/ops/gunicorn_conf.py"}


def _python_files(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py") if "static" not in p.parts)


def _named_paths() -> set[str]:
    """Paths in backquotes; `web/db.py:perform` names the file, and `workflow/<area>/…` is a pattern, not a path."""
    found = re.findall(r"`((?:models|workflow|notifications|web|migrations|tests|bench|deploy|docs)/[^`\s]*)`",
                       MAP.read_text(encoding="utf-8"))
    return {p.split(":")[0] for p in found if "<" not in p and "…" not in p}


def _expected_entries() -> set[str]:
    """Modules one by one in models/workflow/notifications and web's top level and API; web's other packages as
    folders (a blueprint package's views.py/forms.py/pages.py are its own business)."""
    expected = set()
    for path in _python_files("models", "workflow", "notifications"):
        rel = path.relative_to(ROOT).as_posix()
        expected.add(rel[: -len("__init__.py")] if path.name == "__init__.py" else rel)
    for path in _python_files("web"):
        rel = path.relative_to(ROOT)
        if len(rel.parts) == 2 or rel.parts[1] == "api":
            if path.name != "__init__.py":
                expected.add(rel.as_posix())
        elif path.name == "__init__.py":
            expected.add(rel.parent.as_posix() + "/")
    return expected - {"models/", "workflow/", "notifications/"}


def test_the_map_names_every_module():
    missing = sorted(_expected_entries() - _named_paths())
    assert not missing, f"docs/ARCHITECTURE.md does not name: {missing}"


def test_every_path_the_map_names_exists():
    stale = sorted(p for p in _named_paths() if not (ROOT / p.rstrip("/")).exists())
    assert not stale, f"docs/ARCHITECTURE.md names paths that do not exist: {stale}"


def test_the_readme_links_the_map():
    assert "docs/ARCHITECTURE.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def _deferred_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in OURS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module}")
            elif isinstance(node, ast.Import) and any(a.name.split(".")[0] in OURS for a in node.names):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} import")
    return found


@pytest.mark.parametrize("package", OURS)
def test_no_import_of_ours_inside_a_function(package):
    found = [
        hit
        for path in _python_files(package)
        if path.relative_to(ROOT).as_posix() not in DEFERRED_IMPORTS_ALLOWED
        for hit in _deferred_imports(path)
    ]
    assert not found, "imports inside functions (move them to the top; a cycle they dodge is a layering bug):\n" + \
        "\n".join(found)
