"""Resolve the names a file binds by ``import`` to fully qualified dotted names."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from buffer_lint.analysis.blocks import all_blocks

# Statements whose blocks still belong to the file's scope (``try: import x``, ``if TYPE_CHECKING:``).
_FILE_SCOPE_BLOCKS = (ast.If, ast.Try, ast.With)
if hasattr(ast, "TryStar"):  # Python >= 3.11
    _FILE_SCOPE_BLOCKS += (ast.TryStar,)


class ImportMap:
    """Maps local names to what they were imported as: ``nn`` -> ``torch.nn``.

    Relative imports (``from ..layers import Block``) resolve when the file's package is known
    (``package``, from where the file lies among the ``__init__.py`` files); else to nothing.
    """

    def __init__(self, bindings: dict[str, str], insertion_line: int = 0) -> None:
        self._bindings = bindings
        self.insertion_line = (
            insertion_line  # a new import goes after it: the last top-level import, else the docstring
        )

    @classmethod
    def from_file(cls, tree: ast.Module, package: str | None = None) -> ImportMap:
        bindings: dict[str, str] = {}
        for node in _file_scope_statements(tree.body):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        bindings[alias.asname] = alias.name
                    else:
                        top = alias.name.partition(".")[0]
                        bindings[top] = top
            elif isinstance(node, ast.ImportFrom):
                source = _absolute(node, package)
                for alias in node.names:
                    if source and alias.name != "*":
                        bindings[alias.asname or alias.name] = f"{source}.{alias.name}"
        return cls(bindings, _insertion_line(tree.body))

    def qualify(self, expr: ast.expr) -> str | None:
        """The dotted name ``expr`` refers to, or None when it is not an imported name."""
        if isinstance(expr, ast.Name):
            return self._bindings.get(expr.id)
        if isinstance(expr, ast.Attribute):
            owner = self.qualify(expr.value)
            return f"{owner}.{expr.attr}" if owner else None
        return None

    @property
    def bindings(self) -> dict[str, str]:
        """Local name -> the dotted name it was imported as."""
        return dict(self._bindings)

    def binds(self, name: str) -> bool:
        return name in self._bindings

    def local_name_for(self, qualified: str) -> str | None:
        """The shortest expression this file can write for ``qualified`` (``nn`` for torch.nn)."""
        candidates = []
        for local, target in self._bindings.items():
            if qualified == target:
                candidates.append(local)
            elif qualified.startswith(target + "."):
                candidates.append(local + qualified[len(target) :])
        return min(candidates, key=len) if candidates else None


def _absolute(node: ast.ImportFrom, package: str | None) -> str | None:
    """The module ``from X import ...`` reads: ``X``, or for ``from ..X import ...`` one under ``package``'s parents."""
    if node.level == 0:
        return node.module
    if not package:
        return None
    parts = package.split(".")
    if node.level - 1 >= len(parts):
        return None  # beyond the top-level package
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def _file_scope_statements(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    for node in body:
        yield node
        if isinstance(node, _FILE_SCOPE_BLOCKS):
            for block in all_blocks(node):
                yield from _file_scope_statements(block)


def _insertion_line(body: list[ast.stmt]) -> int:
    """The line after which a fix adds an import: the last top-level import's, else the docstring's, else 0."""
    after = 0
    for index, node in enumerate(body):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            after = node.end_lineno or node.lineno
        elif index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            after = node.end_lineno or node.lineno
    return after
