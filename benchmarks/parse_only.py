"""The baseline that ``buffer-lint check`` is compared with: read each file's bytes and
``ast.parse`` them, nothing else. Usage: ``python parse_only.py FILE...``."""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence


def main(paths: Sequence[str]) -> int:
    for path in paths:
        with open(path, "rb") as file:
            source = file.read()
        try:
            ast.parse(source)
        except (SyntaxError, ValueError):
            pass  # the check reports these (E999) after paying for the same failed parse
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
