"""Replacing a file's content: atomically, and without losing what the user did to the file.

The fixer's files and the caches' both go through here (the cache folder is made here too,
marked so that git and backup tools leave it out). Fixed files are written only if they
still hold what was read, through symlinks to their target, keeping owner, group, mode and
hard links; read-only files are refused, as ruff refuses them.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

CACHE_DIR_NAME = ".buffer_lint_cache"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by buffer-lint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


class WriteRefused(Exception):
    """The file was left as it is, for the reason in the message (a warning, not an error)."""


def replace_content(path: Path, expected: bytes, data: bytes) -> Path:
    """Write ``data`` to the file ``path`` names if it still holds ``expected``; return the file written.

    Raises WriteRefused when the file is read-only or changed since it was read, OSError when writing fails.
    """
    target = Path(os.path.realpath(path))
    info = target.stat()
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise WriteRefused("read-only file, not fixed")
    if target.read_bytes() != expected:
        raise WriteRefused("changed while it was being fixed; left as it is")
    if info.st_nlink > 1:
        _write_in_place(target, data)  # a rename would split the hard links
    else:
        write_atomically(target, data, owner=(info.st_uid, info.st_gid))
    return target


def _write_in_place(path: Path, data: bytes) -> None:
    with path.open("r+b") as file:
        file.write(data)
        file.truncate()
        file.flush()
        os.fsync(file.fileno())


def write_atomically(path: Path, data: bytes, *, durable: bool = True, owner: tuple[int, int] | None = None) -> None:
    """Replace ``path``'s content by ``data`` through a temporary file in the same folder and a
    rename, so that a reader sees the old file or the new one, never half of one. The file keeps
    its mode (and ``owner``, where allowed); a failed write leaves no temporary file behind."""
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        if owner is not None:
            _chown(temporary, owner)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _chown(path: str, owner: tuple[int, int]) -> None:
    try:
        os.chown(path, *owner)
    except PermissionError:
        pass  # only root may give a file away; the user's own file keeps the user as owner anyway


def prepare_cache_directory(directory: Path) -> None:
    """Create a cache folder, with a ``.gitignore`` that hides it from git and a ``CACHEDIR.TAG``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in ((".gitignore", "# Created by buffer-lint\n*\n"), ("CACHEDIR.TAG", CACHEDIR_TAG)):
        marker = directory / name
        if not marker.exists():
            marker.write_text(text, encoding="utf-8")
