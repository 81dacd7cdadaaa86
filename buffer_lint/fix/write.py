"""Encoding fixed text as its file was encoded."""

from __future__ import annotations

import codecs
import io
import tokenize


def encode_like(original: bytes, text: str) -> bytes:
    """Encode ``text`` as ``original`` was encoded (its coding cookie, its BOM).

    Line endings need no care: the text was decoded without translating them.
    """
    encoding, _ = tokenize.detect_encoding(io.BytesIO(original).readline)
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    return text.encode(encoding)
