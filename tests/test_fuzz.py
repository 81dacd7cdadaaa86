"""Fuzzing: mutated real fixtures and random bytes through ``check`` and ``--fix``.

Nothing may print a traceback or fail internally, every exit is 0, 1 or 2, and every file that
parsed before fixing parses after. A plain run tries a few hundred inputs; ``--slow`` thousands.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from buffer_lint.source import parse
from tests.helpers import FIXTURES, run_cli

SNIPPETS = (
    "self.x = torch.zeros(3)",
    "self.y = nn.Parameter(torch.ones(2), requires_grad=False)",
    "self.register_buffer('x', torch.ones(1))",
    "self.layers = [nn.Linear(2, 2)]",
    "self.requires_grad = False",
    "self.x += torch.ones(3)",
    "del self.x",
    "return",
    "(",
    "with torch.no_grad():",
)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or ["\n"]


def _delete(rng: random.Random, lines: list[str]) -> None:
    del lines[rng.randrange(len(lines))]


def _duplicate(rng: random.Random, lines: list[str]) -> None:
    index = rng.randrange(len(lines))
    lines.insert(index, lines[index])


def _swap(rng: random.Random, lines: list[str]) -> None:
    a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[a], lines[b] = lines[b], lines[a]


def _insert(rng: random.Random, lines: list[str]) -> None:
    indent = " " * rng.choice((0, 4, 8, 12))
    lines.insert(rng.randrange(len(lines) + 1), f"{indent}{rng.choice(SNIPPETS)}\n")


def _reindent(rng: random.Random, lines: list[str]) -> None:
    index = rng.randrange(len(lines))
    lines[index] = " " * rng.choice((0, 4, 8)) + lines[index].lstrip(" ")


def _byte_noise(rng: random.Random, lines: list[str]) -> None:
    index = rng.randrange(len(lines))
    line = lines[index]
    position = rng.randrange(len(line) + 1)
    lines[index] = line[:position] + rng.choice("()[]:=.,'\"#\\\t\r\xe9") + line[position:]


MUTATIONS: tuple[Callable[[random.Random, list[str]], None], ...] = (
    _delete,
    _duplicate,
    _swap,
    _insert,
    _reindent,
    _byte_noise,
)


def mutants(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    sources = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.py"))]
    found = []
    for _ in range(count):
        lines = _lines(rng.choice(sources))
        for _ in range(rng.randint(1, 4)):
            rng.choice(MUTATIONS)(rng, lines)
            lines = lines or ["\n"]
        found.append("".join(lines).encode("utf-8"))
    return found


def random_bytes(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))) for _ in range(count)]


def _parses(source: bytes) -> bool:
    try:
        parse(source)  # as the tool parses: without the compiler's warnings about the inputs
    except (SyntaxError, ValueError):
        return False
    return True


def fuzz(tmp_path: Path, inputs: list[bytes]) -> int:
    """Check then fix every input; returns how many inputs parsed (the valid programs)."""
    for index, source in enumerate(inputs):
        (tmp_path / f"case_{index:04}.py").write_bytes(source)
    for arguments in (["check"], ["check", "--fix", "--unsafe-fixes"]):
        result = run_cli([*arguments, "--no-cache", "-j1", "-q", "."], cwd=tmp_path)
        assert result.returncode in (0, 1, 2)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    for index, source in enumerate(inputs):
        if _parses(source):
            assert _parses((tmp_path / f"case_{index:04}.py").read_bytes()), f"case_{index:04}.py broken by --fix"
    return sum(map(_parses, inputs))


def test_fuzz_mutated_fixtures_and_random_bytes(tmp_path: Path) -> None:
    valid = fuzz(tmp_path, mutants(300, seed=1) + random_bytes(50, seed=2))
    assert valid > 50  # enough of the mutants are valid programs to exercise the analysis and the fixes


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_fuzz_thousands(tmp_path: Path, seed: int) -> None:
    fuzz(tmp_path, mutants(1000, seed=100 + seed) + random_bytes(200, seed=200 + seed))
