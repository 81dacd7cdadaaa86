"""Writing fixed files: the same encoding, BOM, line endings and mode; atomically."""

from __future__ import annotations

import codecs
import io
import os
import stat
import tempfile
import tokenize
from pathlib import Path


def encode_like(original: bytes, text: str) -> bytes:
    """Encode ``text`` as ``original`` was encoded (its coding cookie, its BOM).

    Line endings need no care: the text was decoded without translating them.
    """
    encoding, _ = tokenize.detect_encoding(io.BytesIO(original).readline)
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    return text.encode(encoding)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path``'s content by ``data`` through a temporary file in the same folder and a
    rename, so that a reader sees the old file or the new one, never half of one."""
    mode = stat.S_IMODE(path.stat().st_mode)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
