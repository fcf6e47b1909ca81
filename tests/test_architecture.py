"""The shape of registry/, kept true by a test (ARCHITECTURE.md draws it).

Every module is read with `ast` (absolute and relative imports, also those inside functions and under
`if TYPE_CHECKING:`), each module belongs to a package (a folder or a single module directly under
registry/; registry/__init__.py is the package "registry", the app factory) and each package to a layer.
The rules:

(a) an import goes to the same layer or a lower one, never a higher one;
(b) no cycle between packages (same-layer imports are allowed, but not round trips);
(c) no module over 500 lines;
(d) every package is placed in a layer on purpose: a new package fails until it is added to LAYERS.

The checks are functions of a root folder, so the tests at the bottom prove each one fails on a small
synthetic tree.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import registry

ROOT = Path(registry.__file__).parent

# Lowest first. A package may import its own layer and the layers listed before it.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("kernel", frozenset({"config", "extensions", "database", "errors", "clock", "phones", "personal_data", "uploads",
                          "issuer", "signing", "i18n", "pagination", "web", "view_helpers", "walls", "text", "forms",
                          "downloads", "pdf", "replica", "page_versions"})),
    ("records", frozenset({"audit", "messaging", "areas"})),
    ("accounts", frozenset({"auth", "jobs"})),
    ("shops", frozenset({"merchants", "workdays"})),
    ("pledges", frozenset({"pledges"})),
    ("badges", frozenset({"badges"})),
    ("cases", frozenset({"complaints", "consultations"})),
    ("enforcement", frozenset({"moderation", "campaigns", "ownership"})),
    ("read side", frozenset({"lookup", "reports", "api", "opendata"})),
    ("shell", frozenset({"registry", "cli", "demo", "templating", "health"})),
)

# Folders under registry/ that hold no Python (data shipped with the package).
DATA_FOLDERS = frozenset({"translations"})

MAX_LINES = 500


@dataclass(frozen=True)
class Import:
    source: str  # the importing module's file, relative to the root's parent (registry/x/y.py)
    line: int
    target: str  # the imported module, dotted (registry.x.y)
    source_package: str
    target_package: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def module_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(root: Path, module: str) -> str:
    """registry → "registry" (the factory); registry.x and registry.x.anything → "x"."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _is_module(root: Path, dotted: str) -> bool:
    path = root.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(root: Path) -> list[Import]:
    """Every import of another module of the root package, wherever in a module it is written."""
    top = root.name
    found = []
    for path in module_files(root):
        name = module_name(root, path)
        # The package a relative import starts from: the module's own package (itself, for an __init__).
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        source = path.relative_to(root.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                # `from registry import cli` and `from . import forms` import modules; other names are
                # attributes of `origin`.
                targets = [f"{origin}.{alias.name}" if _is_module(root, f"{origin}.{alias.name}") else origin
                           for alias in node.names]
            for target in targets:
                if target == top or target.startswith(top + "."):
                    found.append(Import(source, node.lineno, target, package_of(root, name),
                                        package_of(root, target)))
    return sorted(found, key=lambda item: (item.source, item.line, item.target))


def packages(root: Path) -> set[str]:
    """The packages under the root: its folders, its single modules, and the root's own __init__."""
    found = {root.name} if (root / "__init__.py").is_file() else set()
    for child in root.iterdir():
        if child.name.startswith((".", "__")):
            continue
        if child.is_dir():
            found.add(child.name)
        elif child.suffix == ".py":
            found.add(child.stem)
    return found


def layer_index(layers) -> dict[str, int]:
    return {package: index for index, (_name, members) in enumerate(layers) for package in members}


def unassigned_packages(root: Path, layers=LAYERS, data_folders=DATA_FOLDERS) -> list[str]:
    """(d) Packages in no layer, and data folders that have Python in them after all."""
    placed = layer_index(layers)
    problems = []
    for package in sorted(packages(root)):
        if package in data_folders:
            if module_files(root / package):
                problems.append(f"registry/{package}/ is listed as data only but holds Python modules")
        elif package not in placed:
            problems.append(f"package {package!r} is in no layer: place it in LAYERS (tests/test_architecture.py)")
    return problems


def upward_imports(root: Path, layers=LAYERS) -> list[str]:
    """(a) Imports from a lower layer to a higher one."""
    placed = layer_index(layers)
    problems = []
    for item in imports(root):
        low, high = placed.get(item.source_package), placed.get(item.target_package)
        if low is not None and high is not None and high > low:
            problems.append(f"{item}: {item.source_package} ({layers[low][0]} layer) may not import "
                            f"{item.target_package} ({layers[high][0]} layer, higher)")
    return problems


def package_cycles(root: Path) -> list[str]:
    """(b) Every cycle between packages (one per strongly connected group), with the imports that close it."""
    edges: dict[str, dict[str, Import]] = defaultdict(dict)
    for item in imports(root):
        if item.source_package != item.target_package:
            edges[item.source_package].setdefault(item.target_package, item)
    problems = []
    for group in _strongly_connected(edges):
        if len(group) < 2:
            continue
        cycle = _cycle_through(edges, group)
        steps = "; ".join(str(edges[a][b]) for a, b in zip(cycle, cycle[1:]))
        problems.append(f"package cycle {' -> '.join(cycle)} ({steps})")
    return problems


def _strongly_connected(edges) -> list[list[str]]:
    """Tarjan's algorithm; each group sorted, groups in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            groups.append(sorted(group))

    nodes = set(edges) | {target for targets in edges.values() for target in targets}
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return sorted(groups)


def _cycle_through(edges, group: list[str]) -> list[str]:
    """One cycle inside a strongly connected group: from its first package back to it (breadth first)."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                return paths[node] + [start]
            if nxt in members and nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle through {group}")  # a strongly connected group always has one


def oversized_modules(root: Path, limit: int = MAX_LINES) -> list[str]:
    """(c) Modules longer than `limit` lines."""
    problems = []
    for path in module_files(root):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            problems.append(f"{path.relative_to(root.parent).as_posix()} has {lines} lines (at most {limit})")
    return problems


# --- the real tree --------------------------------------------------------------------------------


def test_the_checks_see_the_real_tree():
    found = imports(ROOT)
    assert len(found) > 300  # several hundred internal imports: the walk is not silently empty
    assert {item.source_package for item in found} >= {"registry", "moderation", "view_helpers", "api"}


def test_every_package_has_a_layer():
    problems = unassigned_packages(ROOT)
    assert not problems, "\n" + "\n".join(problems)


def test_no_import_goes_up_a_layer():
    problems = upward_imports(ROOT)
    assert not problems, "\n" + "\n".join(problems)


def test_no_package_cycle():
    problems = package_cycles(ROOT)
    assert not problems, "\n" + "\n".join(problems)


def test_no_module_is_over_500_lines():
    problems = oversized_modules(ROOT)
    assert not problems, "\n" + "\n".join(problems)


# --- each check can fail --------------------------------------------------------------------------


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    """A synthetic package "registry" under tmp_path: {"clock.py": source, "pledges/services.py": …}."""
    root = tmp_path / "registry"
    for name, source in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        init = path.parent / "__init__.py"
        if path.suffix == ".py" and not init.exists():
            init.write_text("", encoding="utf-8")
    return root


def test_an_upward_import_fails_and_names_the_module(tmp_path):
    root = tree(tmp_path, {
        "clock.py": "def later():\n    from registry.pledges.services import sign\n",
        "pledges/services.py": "from ..clock import later\n\ndef sign():\n    pass\n",
    })
    assert upward_imports(root) == [
        "registry/clock.py:2 imports registry.pledges.services: clock (kernel layer) may not import "
        "pledges (pledges layer, higher)"]


def test_upward_imports_are_found_in_every_form(tmp_path):
    root = tree(tmp_path, {
        "auth/__init__.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..merchants import models\n",
        "auth/views.py": "import registry.badges.qr\nfrom .. import demo\n",
        "auth/forms.py": "from registry import lookup\nfrom registry.moderation import *\n",
        "auth/access.py": "from ...elsewhere import x\nfrom .views import y\n",  # outside the root; same package
        "merchants/models.py": "", "badges/qr.py": "", "demo.py": "", "lookup/__init__.py": "",
        "moderation/__init__.py": "",
    })
    assert upward_imports(root) == [
        "registry/auth/__init__.py:3 imports registry.merchants.models: auth (accounts layer) may not import "
        "merchants (shops layer, higher)",
        "registry/auth/forms.py:1 imports registry.lookup: auth (accounts layer) may not import lookup "
        "(read side layer, higher)",
        "registry/auth/forms.py:2 imports registry.moderation: auth (accounts layer) may not import moderation "
        "(enforcement layer, higher)",
        "registry/auth/views.py:1 imports registry.badges.qr: auth (accounts layer) may not import badges "
        "(badges layer, higher)",
        "registry/auth/views.py:2 imports registry.demo: auth (accounts layer) may not import demo "
        "(shell layer, higher)",
    ]


def test_the_factory_may_import_everything_but_nothing_may_import_the_factory(tmp_path):
    root = tree(tmp_path, {
        "__init__.py": "from . import cli\nfrom .moderation import views\n",
        "cli.py": "", "moderation/views.py": "from registry import create_app\n",
    })
    assert upward_imports(root) == [
        "registry/moderation/views.py:1 imports registry: moderation (enforcement layer) may not import "
        "registry (shell layer, higher)"]


def test_a_same_layer_cycle_fails_and_shows_the_cycle(tmp_path):
    root = tree(tmp_path, {
        "complaints/services.py": "from registry.consultations.queries import recent\n",
        "consultations/queries.py": "def recent():\n    from ..complaints import services\n",
        "moderation/flags.py": "from registry.complaints.services import x\n",  # into the cycle, not part of it
    })
    assert upward_imports(root) == []
    assert package_cycles(root) == [
        "package cycle complaints -> consultations -> complaints (registry/complaints/services.py:1 imports "
        "registry.consultations.queries; registry/consultations/queries.py:2 imports registry.complaints.services)"]


def test_a_longer_cycle_is_reported_once(tmp_path):
    root = tree(tmp_path, {
        "audit/a.py": "from registry.messaging import b\n",
        "messaging/b.py": "from registry.areas import c\n",
        "areas/c.py": "from registry.audit import a\n",
    })
    assert package_cycles(root) == [
        "package cycle areas -> audit -> messaging -> areas (registry/areas/c.py:1 imports registry.audit.a; "
        "registry/audit/a.py:1 imports registry.messaging.b; registry/messaging/b.py:1 imports registry.areas.c)"]


def test_a_module_over_500_lines_fails(tmp_path):
    root = tree(tmp_path, {"moderation/services.py": "x = 1\n" * 501, "clock.py": "x = 1\n" * 500})
    assert oversized_modules(root) == ["registry/moderation/services.py has 501 lines (at most 500)"]


def test_a_new_package_must_be_placed(tmp_path):
    root = tree(tmp_path, {"clock.py": "", "standing/rules.py": "", "weather.py": "",
                           "translations/en/messages.po": ""})
    assert unassigned_packages(root) == [
        "package 'standing' is in no layer: place it in LAYERS (tests/test_architecture.py)",
        "package 'weather' is in no layer: place it in LAYERS (tests/test_architecture.py)",
    ]


def test_a_data_folder_may_not_hold_python(tmp_path):
    root = tree(tmp_path, {"translations/helper.py": ""})
    assert unassigned_packages(root) == ["registry/translations/ is listed as data only but holds Python modules"]
