"""The agreements app's modules keep the house conventions (issue 9): services queue tasks by
name and never import ``tasks`` (no import circle), pages never queue tasks, and only
``pdf.py`` imports WeasyPrint."""

import ast
from pathlib import Path

import agreements

APP = Path(agreements.__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top, inside functions or under TYPE_CHECKING,
    relative imports resolved against the app's package."""
    package = ".".join(path.relative_to(APP.parent).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def app_modules() -> dict[str, set[str]]:
    return {
        str(path.relative_to(APP.parent)): imported_modules(path)
        for path in APP.rglob("*.py")
        if "migrations" not in path.parts
    }


def test_services_do_not_import_the_tasks_that_import_them():
    offenders = [
        name
        for name, imports in app_modules().items()
        if name.startswith("agreements/services") and "agreements.tasks" in imports
    ]
    assert offenders == []


def test_pages_and_api_do_not_queue_tasks():
    offenders = [
        name
        for name, imports in app_modules().items()
        if name.rsplit("/", 1)[-1] in ("views.py", "api.py")
        and ({"agreements.tasks", "portal.queue"} & imports)
    ]
    assert offenders == []


def test_only_pdf_imports_weasyprint():
    importers = sorted(
        name
        for name, imports in app_modules().items()
        if any(m == "weasyprint" or m.startswith("weasyprint.") for m in imports)
    )
    assert importers == ["agreements/pdf.py"]
