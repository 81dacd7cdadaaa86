"""Run buffer-lint over files: discovery, the cache, the process pool, checking, fixing and writing.

The command line parses arguments and prints; this module does the work and returns one
``FileResult`` per file, ready for any reporter (fix edits included, from the cache too).
"""

from __future__ import annotations

import bisect
import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from buffer_lint.cache import ResultCache, Stamp
from buffer_lint.config import Configuration
from buffer_lint.engine import check_source
from buffer_lint.files import discover
from buffer_lint.findings import FileResult, Finding, LocatedEdit
from buffer_lint.fix.apply import fix_source
from buffer_lint.rules.base import Rule
from buffer_lint.source import decode_source, line_starts

Mode = Literal["check", "fix", "diff"]
# Below this many files to check, a process pool costs more than it saves.
POOL_THRESHOLD = 24


@dataclass(frozen=True)
class Job:
    """What to do with each file."""

    configuration: Configuration
    mode: Mode
    unsafe: bool = False
    with_edits: bool = False  # the report shows each fix as text edits (JSON)

    @property
    def fixes(self) -> bool:
        return self.mode != "check"


def run_paths(
    paths: Sequence[str],
    job: Job,
    *,
    jobs: int = 1,
    cache_dir: Path | None = None,
    respect_gitignore: bool = True,
    force_exclude: bool = False,
) -> list[FileResult]:
    """Results for every file under ``paths``, sorted by path."""
    configuration = job.configuration
    files = list(discover(paths, configuration.excluders, respect_gitignore, force_exclude))
    cache = ResultCache(cache_dir, configuration.settings) if cache_dir is not None else None
    results = _process_files(files, job, cache, jobs)
    return sorted(results, key=lambda r: r.path)


def run_source(display: str, source: bytes, job: Job) -> tuple[FileResult, bytes]:
    """The result for source read from stdin, and the bytes to write back (fixed or as read)."""
    result, fixed = _process_source(display, source, job, job.configuration.rules_for(Path(display)))
    return result, fixed if fixed is not None else source


def _process_files(paths: list[Path], job: Job, cache: ResultCache | None, jobs: int) -> list[FileResult]:
    """Results from the cache where it still holds, else checked (in a pool for many files)."""
    results: dict[Path, FileResult] = {}
    todo = []
    codes = {path: [rule.code for rule in job.configuration.rules_for(path)] for path in paths} if cache else {}
    for path in paths:
        cached = cache.lookup(path, codes[path]) if cache else None
        if cached is None or (job.fixes and any(f.is_fixable(job.unsafe) for f in cached.findings)):
            todo.append(path)
        elif job.with_edits and cached.edits is None and any(f.fix for f in cached.findings):
            todo.append(path)
        else:
            results[path] = FileResult(_display(path), cached.findings, edits=cached.edits)
    if jobs > 1 and len(todo) >= POOL_THRESHOLD:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            chunksize = max(1, len(todo) // (jobs * 16))
            checked = list(pool.map(partial(_process_file, job=job), todo, chunksize=chunksize))
    else:
        checked = [_process_file(path, job) for path in todo]
    for path, (result, stamp) in zip(todo, checked):
        results[path] = result
        if cache is not None and stamp is not None:
            cache.store(path, codes[path], stamp, result.findings, result.edits)
    if cache is not None:
        cache.save()
    return [results[path] for path in paths]


def _process_file(path: Path, job: Job) -> tuple[FileResult, Stamp | None]:
    """The file's result, and its stamp for the cache (None when the result must not be cached)."""
    display = _display(path)
    try:
        source = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        return FileResult(display, [Finding.file_error("E902", 1, 0, f"{type(error).__name__}: {reason}")]), None
    result, fixed_source = _process_source(display, source, job, job.configuration.rules_for(path))
    if fixed_source is not None and job.mode == "fix":
        from buffer_lint.writing import write_atomically

        try:
            write_atomically(path, fixed_source)
        except OSError as error:
            result.error = f"cannot write the fixed file: {error.strerror or error}"
            result.fixed = []
            return result, None
        source = fixed_source
    cacheable = result.error is None and job.mode != "diff"
    return result, Stamp.of(path, source) if cacheable else None


def _process_source(display: str, source: bytes, job: Job, rules: Sequence[Rule]) -> tuple[FileResult, bytes | None]:
    """The file's result, and its fixed bytes when fixing changed them."""
    settings = job.configuration.settings
    if not job.fixes:
        checked = check_source(source, settings, rules)
        result = FileResult(display, checked.findings)
        if job.with_edits and checked.text is not None:
            result.edits = located_edits(checked.text, checked.findings)
        return result, None
    outcome = fix_source(source, settings, rules, job.unsafe)
    result = FileResult(display, outcome.remaining, outcome.fixed, error=outcome.error)
    shown = outcome.source  # the text the reported positions refer to
    if job.mode == "diff":
        shown, result.findings = source, outcome.unfixed  # nothing is written: positions in the file as it is
        result.diff = _unified_diff(display, source, outcome.source) if outcome.source != source else ""
    if job.with_edits and any(f.fix for f in result.findings):
        result.edits = located_edits(decode_source(shown), result.findings)
    return result, outcome.source if outcome.source != source else None


def located_edits(text: str, findings: Sequence[Finding]) -> list[tuple[LocatedEdit, ...] | None] | None:
    """Each finding's fix as text edits with 1-based rows and columns (None for a finding without one)."""
    if not any(f.fix for f in findings):
        return None
    from buffer_lint.fix.transform import text_edits  # libcst only for files with fixes

    starts = line_starts(text)

    def location(offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(starts, offset) - 1
        return row + 1, offset - starts[row] + 1

    return [
        tuple(
            LocatedEdit(e.content, *location(e.start), *location(e.end))
            for e in sorted(text_edits(text, f.fix.edits), key=lambda e: e.start)
        )
        if f.fix
        else None
        for f in findings
    ]


def _unified_diff(display: str, old: bytes, new: bytes) -> str:
    old_lines = old.decode("utf-8", errors="replace").splitlines(keepends=True)
    new_lines = new.decode("utf-8", errors="replace").splitlines(keepends=True)
    diff = difflib.unified_diff(old_lines, new_lines, fromfile=f"a/{display}", tofile=f"b/{display}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff)


def _display(path: Path) -> str:
    """Paths as ruff prints them: relative to the working directory when below it."""
    text = os.fspath(path)
    if os.path.isabs(text):
        relative = os.path.relpath(text)
        return text if relative.startswith("..") else relative
    return os.path.normpath(text)
