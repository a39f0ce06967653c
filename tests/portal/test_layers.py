"""The import graph points one way, down: board > agreements > fees > voting > households >
portal, the foundation imports no app, and no two modules of our apps import each other
(directly or round a longer loop), whether the import sits at the top of a module, inside
a function or under ``TYPE_CHECKING``; and only board's ``seed_demo`` imports the apps'
``demo`` modules.

The contracts live in pyproject.toml (``[tool.importlinter]``); ``.venv/bin/lint-imports``
prints the offending chain when one breaks.
"""

import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[2]
APPS = ("portal", "households", "voting", "fees", "agreements", "board")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


@pytest.mark.parametrize("contract", ["layers", "foundation", "acyclic", "demo"])
def test_import_contract_is_kept(contract):
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--contract", contract],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively),
    plus any module importing itself: each is an import cycle."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges[node]:
                    components.append(sorted(component))
    return components


def test_no_import_cycle_between_modules_of_our_apps():
    graph = grimp.build_graph(*APPS, cache_dir=None)
    described = []
    for component in _cycles(graph):
        first, second = component[0], component[1 % len(component)]
        there = graph.find_shortest_chain(importer=first, imported=second) or ()
        back = graph.find_shortest_chain(importer=second, imported=first) or ()
        described.append(" -> ".join([*there, *back[1:]]))
    assert not described, "import cycles:\n" + "\n".join(described)


def test_the_cycle_finder_sees_a_cycle_made_by_an_import_inside_a_function(tmp_path):
    """The check above is only as good as its graph: an import inside a function and one
    under TYPE_CHECKING close a loop too."""
    package = tmp_path / "loopy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "services.py").write_text("def go():\n    from . import tasks\n")
    (package / "tasks.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import services\n"
    )
    (package / "models.py").write_text("from . import services\n")
    sys.path.insert(0, str(tmp_path))
    try:
        graph = grimp.build_graph("loopy", cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    assert _cycles(graph) == [["loopy.services", "loopy.tasks"]]


FOUNDATION_TEMPLATES = [
    REPO / "templates" / "base.html",
    *sorted((REPO / "templates").glob("[0-9]*.html")),
    *sorted((REPO / "templates" / "portal").glob("*.html")),
]
OUR_TAG_LIBRARIES = {"figures", "nav"}  # portal/templatetags; Django's own: i18n, static, humanize


@pytest.mark.parametrize("template", FOUNDATION_TEMPLATES, ids=lambda p: p.name)
def test_the_foundations_templates_load_no_apps_tags(template):
    """The base layout and error pages are portal's: they may not pull an app in through a
    template tag library (the street-office board's panels are board's template)."""
    loaded = {
        library
        for libraries in re.findall(r"{%\s*load\s+([^%]+?)\s*%}", template.read_text())
        for library in libraries.split()
    }
    django_libraries = {"i18n", "static", "humanize", "l10n", "tz", "cache"}
    assert loaded <= django_libraries | OUR_TAG_LIBRARIES, loaded
