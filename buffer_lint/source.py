"""Source text as Python reads it: decoding, physical lines, and byte to character columns.

A leaf, shared by the analysis, the fixer, the reporters and the flake8 plugin.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
import warnings
from collections.abc import Sequence

# (size, mtime in ns, inode): a file with all three as before is taken as unchanged without reading it,
# as ruff does; an editor that saves by renaming a new file over the old one changes the inode even
# when size and mtime (at the file system's resolution) stay the same.
FileIdentity = tuple[int, int, int]


def file_identity(stat: os.stat_result) -> FileIdentity:
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def decode_source(source: bytes) -> str:
    """Decode as Python does: BOM, then a PEP 263 coding cookie, else UTF-8.

    Raises SyntaxError, UnicodeDecodeError or LookupError for bytes Python would refuse.
    """
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    text = source.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def physical_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer counts them: split at \\n, \\r\\n and \\r only (not at \\f or \\u2028)."""
    return io.StringIO(text, newline="").readlines()


def line_starts(text: str) -> list[int]:
    """The character offset where each physical line begins, and the text's length last."""
    starts = [0]
    for line in physical_lines(text):
        starts.append(starts[-1] + len(line))
    return starts


def char_column(lines: Sequence[str], line: int, byte_col: int) -> int:
    """``ast``'s UTF-8 byte column on ``line`` (1-based) as a character column."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    if text.isascii():
        return byte_col
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))


def parse(source: str | bytes) -> ast.Module:
    """``ast.parse`` without its warnings about the code (``invalid escape sequence``): a linter of
    other people's code reports what it is asked for, not what the compiler mutters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)
