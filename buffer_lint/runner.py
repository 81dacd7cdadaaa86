"""Run buffer-lint over files: discovery, the cache, the process pool, checking, fixing and writing.

The command line parses arguments and prints; this module does the work and returns one
``FileResult`` per file, ready for any reporter (fix edits included, from the cache too).
"""

from __future__ import annotations

import bisect
import gc
import difflib
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

from buffer_lint.analysis.project import FileContext
from buffer_lint.analysis.summaries import Projects
from buffer_lint.cache import Dependency, ResultCache, Stamp, content_hash
from buffer_lint.config import Configuration
from buffer_lint.engine import check_source, internal_error
from buffer_lint.files import discover
from buffer_lint.findings import FileResult, Finding, LocatedEdit
from buffer_lint.fix.apply import fix_source
from buffer_lint.rules.base import Rule
from buffer_lint.source import decode_source, file_identity, line_starts
from buffer_lint.writing import WriteRefused, replace_content

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
    cache_dir: Path | None = None  # where results and the project's file summaries are kept; None: nowhere

    @property
    def fixes(self) -> bool:
        return self.mode != "check"


Progress = Callable[[int, int, int], None]  # (files done, files in all, findings so far)


def run_paths(
    paths: Sequence[str],
    job: Job,
    *,
    jobs: int = 1,
    respect_gitignore: bool = True,
    force_exclude: bool = False,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Results for every file under ``paths``, sorted by path."""
    configuration = job.configuration
    _PROJECTS.clear()  # what other files say is read afresh each run (pool workers fork from here)
    files = list(discover(paths, configuration.excluders, respect_gitignore, force_exclude))
    cache = ResultCache(job.cache_dir, configuration.settings, _projects(job)) if job.cache_dir else None
    with _fewer_collections():
        results = _process_files(files, job, cache, jobs, progress or _silent)
    return sorted(results, key=lambda r: r.path)


# Each file's syntax tree is large and alive while it is analysed, and the analysis allocates many
# small objects: with Python's default thresholds, every few hundred allocations start a collection
# that traverses the tree again (a third of a run's time on the corpus). The analysis makes no
# reference cycles (tests/test_reliability.py checks), so collecting less often only saves time.
GC_THRESHOLD = 10_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], GC_THRESHOLD), *previous[1:])  # pool workers forked inside inherit it
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def run_source(display: str, source: bytes, job: Job) -> tuple[FileResult, bytes]:
    """The result for source read from stdin, and the bytes to write back (fixed or as read)."""
    context = FileContext.of(Path(display), _projects(job))
    checked = _check_source(display, source, job, job.configuration.rules_for(Path(display)), context)
    return checked.result, checked.fixed if checked.fixed is not None else source


@dataclass
class _Checked:
    """What checking one file gives the process that writes and caches: only that process writes."""

    result: FileResult
    dependencies: list[Dependency] = field(default_factory=list)  # the project files the analysis read
    stamp: Stamp | None = None  # the content analysed, when it stayed the same throughout
    fixed: bytes | None = None  # the fixed bytes, when fixing changed the file
    original: bytes = b""  # the bytes the fix was made from
    unwritten: list[Finding] | None = None  # the findings to report if the fix is not written


def _silent(done: int, total: int, findings: int) -> None:
    pass


def _process_files(
    paths: list[Path], job: Job, cache: ResultCache | None, jobs: int, progress: Progress
) -> list[FileResult]:
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
            results[path] = FileResult(_display(path), cached.findings, edits=cached.edits, from_cache=True)
    found = sum(len(r.findings) for r in results.values())
    for path, checked in zip(todo, _checked_files(todo, job, jobs)):
        result, stamp = _finish(path, checked, job)
        results[path] = result
        found += len(result.findings)
        progress(len(results), len(paths), found)
        if cache is not None and stamp is not None:
            cache.store(path, codes[path], stamp, result.findings, result.edits, checked.dependencies)
    if cache is not None:
        cache.save()
    return [results[path] for path in paths]


def _checked_files(paths: list[Path], job: Job, jobs: int) -> Iterator[_Checked]:
    """Each file checked (and fixed, in memory), in order; in a process pool when there are enough."""
    if jobs == 1 or len(paths) < POOL_THRESHOLD:
        yield from (_check_file(path, job) for path in paths)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
        yield from pool.map(partial(_check_file, job=job), paths, chunksize=max(1, len(paths) // (jobs * 16)))


def _exit_with_parent(parent: int) -> None:
    """In a pool worker: exit as soon as the process that started it is gone (killed, say)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="buffer-lint-parent-watch", daemon=True).start()


def _check_file(path: Path, job: Job) -> _Checked:
    display = _display(path)
    try:
        before = path.stat()
        source = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        return _Checked(FileResult(display, [Finding.file_error("E902", 1, 0, f"{type(error).__name__}: {reason}")]))
    context = FileContext.of(path, _projects(job))
    with context.project.recording() as consulted:
        checked = _check_source(display, source, job, job.configuration.rules_for(path), context)
    own = Path(os.path.abspath(path))
    checked.dependencies = [
        Dependency.of(summary, module, consulted.questions.get(module, set()))
        for module, summary in consulted.summaries.items()
        if summary.path != own
    ]
    if checked.result.error is None and job.mode != "diff":
        checked.stamp = _stamp_if_unchanged(path, before, source)
    return checked


_PROJECTS: dict[tuple[frozenset[str], Path | None], Projects] = {}


def _projects(job: Job) -> Projects:
    """This process's indexes of the projects' files (per set of extra module bases and cache folder)."""
    key = (job.configuration.settings.module_bases, job.cache_dir)
    if key not in _PROJECTS:
        _PROJECTS[key] = Projects(*key)
    return _PROJECTS[key]


def _stamp_if_unchanged(path: Path, before: os.stat_result, source: bytes) -> Stamp | None:
    """The stamp of what was analysed; None when the file changed while it was read and analysed."""
    try:
        after = path.stat()
    except OSError:
        return None
    if file_identity(after) != file_identity(before) or len(source) != before.st_size:
        return None
    return Stamp(file_identity(before), content_hash(source))


def _check_source(
    display: str, source: bytes, job: Job, rules: Sequence[Rule], context: FileContext | None = None
) -> _Checked:
    """Check (and fix, in memory) one file's bytes; an unexpected failure is the file's error, not the run's."""
    try:
        return _checked_source(display, source, job, rules, context)
    except Exception as error:  # noqa: BLE001 - one file's failure must not stop the run
        return _Checked(FileResult(display, [], error=internal_error(error)))


def _checked_source(
    display: str, source: bytes, job: Job, rules: Sequence[Rule], context: FileContext | None
) -> _Checked:
    settings = job.configuration.settings
    if not job.fixes:
        found = check_source(source, settings, rules, context)
        result = FileResult(display, found.findings)
        if job.with_edits and found.text is not None:
            result.edits = located_edits(found.text, found.findings)
        return _Checked(result)
    outcome = fix_source(source, settings, rules, job.unsafe, context)
    result = FileResult(display, outcome.remaining, outcome.fixed, error=outcome.error)
    changed = outcome.source != source
    shown = outcome.source  # the text the reported positions refer to
    if job.mode == "diff":
        shown, result.findings = source, outcome.unfixed  # nothing is written: positions in the file as it is
        result.diff = _unified_diff(display, source, outcome.source) if changed else ""
    if job.with_edits and any(f.fix for f in result.findings):
        result.edits = located_edits(decode_source(shown), result.findings)
    unwritten = outcome.original if outcome.original is not None else outcome.remaining
    return _Checked(result, fixed=outcome.source if changed else None, original=source, unwritten=unwritten)


def _finish(path: Path, checked: _Checked, job: Job) -> tuple[FileResult, Stamp | None]:
    """Write a fixed file (here, in the parent process), and say what to cache."""
    result = checked.result
    if checked.fixed is None or job.mode != "fix":
        return result, checked.stamp
    try:
        written = replace_content(path, checked.original, checked.fixed)
    except (WriteRefused, OSError) as error:
        if isinstance(error, WriteRefused):
            result.warning = str(error)
        else:
            result.error = f"cannot write the fixed file: {error.strerror or error}"
        result.findings, result.fixed, result.edits = checked.unwritten or [], [], None
        return result, None
    return result, Stamp.of(written, checked.fixed)


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
            for e in sorted(text_edits(text, f.fix.edits, starts), key=lambda e: e.start)
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
