"""The package's imports as layers: a table for docs/architecture.md, and the rules they must keep.

python scripts/import_layers.py          # write the table into docs/architecture.md
python scripts/import_layers.py --check  # exit 1 on a layer violation, a cycle, or a stale docs table

A module may import from its own layer and the layers below it, never above. Only ``rules/``
and ``report/`` import the rule registry; everyone else gets rules through a ``Selection``.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "buffer_lint"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
TABLE = re.compile(r"(<!-- imports:start -->\n)(.*?)(<!-- imports:end -->)", re.S)
REGISTRY = "buffer_lint.rules.registry"
RULE_MODULE = re.compile(r"^buffer_lint\.rules\.buf\d{3}_")
# Lowest first: (layer, module name prefixes).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("leaf types", ("buffer_lint.findings", "buffer_lint.source", "buffer_lint.settings", "buffer_lint.writing")),
    ("analysis", ("buffer_lint.analysis",)),
    ("rules", ("buffer_lint.rules",)),
    ("checking and fixing", ("buffer_lint.noqa", "buffer_lint.engine", "buffer_lint.fix")),
    ("files and configuration", ("buffer_lint.files", "buffer_lint.config", "buffer_lint.cache")),
    ("reports", ("buffer_lint.report",)),
    ("runner", ("buffer_lint.runner",)),
    (
        "front ends",
        (
            "buffer_lint.cli",
            "buffer_lint.__main__",
            "buffer_lint.flake8_plugin",
            "buffer_lint.fix.codemod",
            "buffer_lint.audit",
        ),
    ),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> Iterator[str]:
    """The package's modules that ``path`` imports, anywhere in it (lazy imports count too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module in known:
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            found = [name for name in submodules if name in known]
            yield from found or [node.module]


def layer_of(module: str) -> int:
    if module == "buffer_lint":
        return 0
    matches = [
        (len(prefix), index)
        for index, (_, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    if not matches:
        raise SystemExit(f"{module}: in no layer; add it to LAYERS in {Path(__file__).name}")
    return max(matches)[1]  # the most specific prefix


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imports_of(path, set(known))) - {name} for name, path in known.items()}


def violations(edges: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, imported in sorted(edges.items()):
        for target in sorted(imported):
            if layer_of(target) > layer_of(module):
                problems.append(f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} from a layer above")
            if target == REGISTRY and not module.startswith(("buffer_lint.rules", "buffer_lint.report")):
                problems.append(f"{module} imports the rule registry; use buffer_lint.rules.selection")
    return problems + [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(edges)]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(edges.get(module, ())):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target] if target in path else [module, target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    return found


def table(edges: dict[str, set[str]]) -> str:
    rows = ["| layer | modules | imports from layers |", "|---|---|---|"]
    for index, (name, _) in reversed(list(enumerate(LAYERS))):
        members = sorted(m for m in edges if layer_of(m) == index and m != "buffer_lint")
        below = sorted({layer_of(t) for m in members for t in edges[m]} - {index})
        uses = ", ".join(LAYERS[i][0] for i in below) or "-"
        shown = ", ".join(_shown(members))
        rows.append(f"| {index}. {name} | {shown} | {uses} |")
    return "\n".join(rows) + "\n"


def _shown(members: list[str]) -> list[str]:
    """Module names for the table, the rule modules folded into one entry."""
    rules = [m for m in members if RULE_MODULE.match(m)]
    names = [f"`{m.removeprefix('buffer_lint.')}`" for m in members if m not in rules]
    return names + (["`rules.bufNNN_*` (one per rule)"] if rules else [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 on a violation or a stale table")
    args = parser.parse_args()
    edges = graph()
    text = ARCHITECTURE.read_text(encoding="utf-8")
    current = TABLE.sub(lambda m: m.group(1) + table(edges) + m.group(3), text)
    if not args.check:
        ARCHITECTURE.write_text(current, encoding="utf-8")
        return 0
    problems = problems_in(edges, current == text)
    print("\n".join(problems))
    return 1 if problems else 0


def problems_in(edges: dict[str, set[str]], table_is_current: bool) -> list[str]:
    stale = (
        [] if table_is_current else ["docs/architecture.md: the imports table is stale (run scripts/import_layers.py)"]
    )
    return violations(edges) + stale


if __name__ == "__main__":
    sys.exit(main())
