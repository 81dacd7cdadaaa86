"""Which files to check: walk directories for ``*.py``, honour git's excludes and the user's.

Walking matches git: inside a git work tree (a folder with ``.git``), a file is skipped when git would not list
it as untracked: the ``.gitignore`` files from the repository's root down to the file's folder, the repository's
``info/exclude`` and the user's global excludes file (``core.excludesFile``, else ``$XDG_CONFIG_HOME/git/ignore``)
decide, the deepest ``.gitignore`` first and the last matching line of a file winning; nothing inside an ignored
folder comes back. Folder symlinks met while walking are not followed (as ruff), so loops and duplicates cannot
arise; each file is yielded once however many arguments reach it. Each folder is listed once, and nothing is
resolved per file.
"""

from __future__ import annotations

import fnmatch
import os
import re
import string
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Callable, NamedTuple

# Directories no one wants linted, as ruff skips them by default.
DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".buffer_lint_cache",
    "__pypackages__",
    "__pycache__",
    "_build",
    "buck-out",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)


class Excluder:
    """Glob patterns matched like ruff's ``exclude``: against the file or directory name, or
    against the path relative to ``base`` (the working directory, or the configuration file's
    folder) when the pattern has a slash."""

    def __init__(self, patterns: Iterable[str], base: Path | None = None) -> None:
        stripped = [p.rstrip("/") for p in patterns]
        self.name_patterns = [p for p in stripped if "/" not in p]
        self.path_patterns = [p for p in stripped if "/" in p]
        self.base = (base or Path.cwd()).resolve()
        self._path_regex = _any_glob([*self.path_patterns, *(p + "/*" for p in self.path_patterns)])

    def excludes(self, path: Path) -> bool:
        if any(fnmatch.fnmatchcase(path.name, p) for p in self.name_patterns):
            return True
        return bool(self.path_patterns) and self.excludes_relative(relative_to(path, self.base))

    def excludes_relative(self, relative: str) -> bool:
        """Whether a path pattern matches ``relative``, a path as :func:`relative_to` makes it."""
        return self._path_regex is not None and self._path_regex.match(relative) is not None


def relative_to(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def matches_glob(relative: str, name: str, pattern: str) -> bool:
    """A per-file-ignores pattern: against the path relative to the configuration's folder, or the file name."""
    return fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(name, pattern)


def _any_glob(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """One regular expression matching what any of the ``fnmatch`` patterns matches."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def discover(
    paths: Sequence[str], excluders: Sequence[Excluder], respect_gitignore: bool = True, force_exclude: bool = False
) -> Iterator[Path]:
    """Python files under ``paths``, sorted per directory, each once. Directories are walked with excludes
    and git's excludes applied; files named explicitly are always checked (like ruff), unless
    ``force_exclude`` (what pre-commit, which names every file, needs)."""
    all_excluders = [Excluder(DEFAULT_EXCLUDE), *excluders]
    walker = _Walker(all_excluders, _GitExcludes() if respect_gitignore else None)
    real_folders = _RealFolders()
    seen: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found: Iterable[tuple[Path, str]] = walker.walk(path)
        elif force_exclude and any(e.excludes(p) for e in all_excluders for p in (path, *path.parents)):
            continue
        else:
            found = [(path, real_folders.location(path))]  # missing or unreadable files are reported when read
        for file, location in found:
            if location not in seen:
                seen.add(location)
                yield file


class _RealFolders:
    """Where files named on the command line really lie: their folder resolved (once per folder), their name kept."""

    def __init__(self) -> None:
        self._real: dict[str, str] = {}

    def location(self, path: Path) -> str:
        folder = os.path.dirname(str(path)) or "."
        if folder not in self._real:
            self._real[folder] = os.path.realpath(folder)
        return _join(self._real[folder], path.name)


def _join(folder: str, name: str) -> str:
    return folder + name if folder.endswith(os.sep) else folder + os.sep + name


# Walking.


class _Folder(NamedTuple):
    """A folder being walked: as shown (joined from the argument), where it really lies, and the git excludes
    it inherits from the folders above (``None`` outside a work tree)."""

    shown: str
    real: str
    git: _Levels | None


_NameTest = Callable[[str], bool]


class _Walker:
    def __init__(self, excluders: Sequence[Excluder], git: _GitExcludes | None) -> None:
        self._names = _any_glob([p for e in excluders for p in e.name_patterns])
        self._by_path = [e for e in excluders if e.path_patterns]
        self._git = git

    def walk(self, root: Path) -> Iterator[tuple[Path, str]]:
        """``(path, real location)`` for the Python files below ``root``, sorted per folder, depth first.
        Folder symlinks inside are not followed; a folder that cannot be listed is yielded, to be reported."""
        real = os.path.realpath(root)
        inherited = None
        if self._git is not None:
            start = self._git.start(real)
            if start.ignored:
                return
            inherited = start.inherited
        stack = [self._listing(_Folder(str(root), real, inherited))]
        while stack:
            entry = next(stack[-1], None)
            if entry is None:
                stack.pop()
            elif isinstance(entry, _Folder):
                stack.append(self._listing(entry))
            else:
                yield entry

    def _listing(self, folder: _Folder) -> Iterator[_Folder | tuple[Path, str]]:
        """The folder's Python files and the subfolders to walk, in name order."""
        try:
            with os.scandir(folder.shown) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError:
            yield Path(folder.shown), folder.real
            return
        git = self._git.levels_in(folder, [entry.name for entry in entries]) if self._git is not None else None
        excluded_by_path = self._path_excludes(folder)
        for entry in entries:
            name = entry.name
            is_dir = entry.is_dir(follow_symlinks=False)
            if not is_dir and not (name.endswith(".py") and _is_file_or_broken_link(entry)):
                continue
            if (self._names is not None and self._names.match(name)) or excluded_by_path(name):
                continue
            if git is not None and _git_ignores(git, name, is_dir):
                continue
            if is_dir:
                child_git = _descend(git, name) if git is not None else None
                yield _Folder(entry.path, _join(folder.real, name), child_git)
            else:
                yield Path(entry.path), _join(folder.real, name)

    def _path_excludes(self, folder: _Folder) -> _NameTest:
        """Whether an ``Excluder`` with path patterns excludes a name in ``folder``: each one's relative
        path made once per folder, not once per file."""
        tests = [_relative_test(excluder, folder) for excluder in self._by_path]
        return lambda name: any(test(name) for test in tests)


def _relative_test(excluder: Excluder, folder: _Folder) -> _NameTest:
    """``excluder.excludes_relative`` for the names in ``folder``, with the path :func:`relative_to` would give."""
    base = str(excluder.base)
    inside = base if base.endswith(os.sep) else base + os.sep
    if folder.real == base:
        prefix = ""
    elif folder.real.startswith(inside):
        prefix = folder.real[len(inside) :].replace(os.sep, "/") + "/"
    else:  # outside base: the path as shown, except for base itself, which is "."
        shown = Path(folder.shown).as_posix()
        prefix = "" if shown == "." else shown if shown.endswith("/") else shown + "/"
        if os.path.dirname(base) == folder.real:
            base_name = os.path.basename(base)
            return lambda name: excluder.excludes_relative("." if name == base_name else prefix + name)
    return lambda name: excluder.excludes_relative(prefix + name)


def _is_file_or_broken_link(entry: os.DirEntry[str]) -> bool:
    """A file to check: a regular file, a link to one, or a broken link (reading it reports why)."""
    if entry.is_file():
        return True
    return entry.is_symlink() and not os.path.exists(entry.path)


# Git's excludes: ignore files, compiled.


class _Rules(NamedTuple):
    """One ignore file, compiled: per kind of path (file, folder), runs of lines of one sign, the last run first,
    each run a single regular expression. The first run that matches decides, as git's last matching line does."""

    for_files: tuple[tuple[bool, re.Pattern[str]], ...]
    for_folders: tuple[tuple[bool, re.Pattern[str]], ...]

    def verdict(self, relative: str, is_dir: bool) -> bool | None:
        """True: ignored, False: re-included (``!``), None: no line matches."""
        for ignores, regex in self.for_folders if is_dir else self.for_files:
            if regex.match(relative):
                return ignores
        return None


class _Line(NamedTuple):
    regex: str
    ignores: bool
    folders_only: bool


def _compile_rules(text: str) -> _Rules | None:
    """An ignore file's lines compiled, or None when none can match."""
    lines = [line for line in map(_parse_line, text.removeprefix("\ufeff").split("\n")) if line is not None]
    if not lines:
        return None
    return _Rules(_runs([line for line in lines if not line.folders_only]), _runs(lines))


def _runs(lines: Sequence[_Line]) -> tuple[tuple[bool, re.Pattern[str]], ...]:
    runs: list[tuple[bool, list[str]]] = []
    for line in lines:
        if runs and runs[-1][0] == line.ignores:
            runs[-1][1].append(line.regex)
        else:
            runs.append((line.ignores, [line.regex]))
    return tuple((ignores, re.compile("(?:" + "|".join(regexes) + r")\Z")) for ignores, regexes in reversed(runs))


_TRAILING_SPACES = re.compile(r"(?<!\\)((?:\\\\)*) +\Z")


def _parse_line(line: str) -> _Line | None:
    """One line of a gitignore file, as git reads it; None for blank lines, comments and lines that cannot match."""
    line = _TRAILING_SPACES.sub(r"\1", line.removesuffix("\r"))
    if not line or line.startswith("#"):
        return None
    ignores = not line.startswith("!")
    if not ignores:
        line = line[1:]
    folders_only = line.endswith("/")
    if folders_only:
        line = line[:-1]
    if not line:
        return None
    if "/" in line:  # anchored: matched against the path relative to the ignore file's folder
        regex = _wildmatch(line.removeprefix("/"), anchored=True)
    else:  # matched against the name, at any depth
        regex = _wildmatch(line, anchored=False)
        regex = None if regex is None else "(?:.*/)?" + regex
    if regex is None:
        return None
    return _Line(f"(?:{regex})", ignores, folders_only)


def _wildmatch(pattern: str, anchored: bool) -> str | None:
    """git's wildmatch pattern (with WM_PATHNAME: ``*`` stays within a folder, ``**/`` spans folders) as a
    regular expression; None for a pattern git never matches. Like git, an anchored pattern's literal start
    is matched first and the rest on its own, so ``a**/b`` matches ``ab`` and ``ax/y/b``."""
    literal = _literal_length(pattern) if anchored else 0
    parts = [re.escape(pattern[:literal])]
    i = literal
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            regex, i = _stars(pattern, i, literal)
        elif char == "?":
            regex, i = "[^/]", i + 1
        elif char == "[":
            bracket = _bracket(pattern, i)
            if bracket is None:
                return None
            regex, i = bracket
        elif char == "\\":
            if i + 1 == len(pattern):
                return None
            regex, i = re.escape(pattern[i + 1]), i + 2
        else:
            regex, i = re.escape(char), i + 1
        parts.append(regex)
    return "".join(parts)


def _literal_length(pattern: str) -> int:
    """How many characters start ``pattern`` before its first wildcard or escape."""
    return next((i for i, char in enumerate(pattern) if char in "*?[\\"), len(pattern))


def _stars(pattern: str, start: int, boundary: int) -> tuple[str, int]:
    """The run of ``*`` at ``pattern[start]`` as a regular expression, and the index after what it consumed:
    ``**`` between slashes (or at ``boundary`` or the end) spans folders, any other run stays within one."""
    end = start
    while end < len(pattern) and pattern[end] == "*":
        end += 1
    after = pattern[end:]
    if end - start < 2 or not (start == boundary or pattern[start - 1] == "/"):
        return "[^/]*", end
    if not after:
        return ".*", end
    if after.startswith("/"):
        return "(?:.*/)?", end + 1  # zero or more folders
    if after.startswith("\\/"):
        return ".*", end
    return "[^/]*", end


_CHARACTER_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": re.escape(string.punctuation),
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9a-fA-F",
}


def _bracket(pattern: str, start: int) -> tuple[str, int] | None:
    """The bracket expression at ``pattern[start]`` (``[a-z]``, ``[!...]``, ``[[:digit:]]``) as a regular
    expression that never matches ``/``, and the index after it; None when git would match nothing."""
    i = start + 1
    negated = i < len(pattern) and pattern[i] in "!^"
    i += negated
    items: list[str] = []
    first = True
    while i < len(pattern) and (pattern[i] != "]" or first):
        first = False
        if pattern.startswith("[:", i):
            close = pattern.find("]", i + 2)
            if close < 0:
                return None
            if close >= i + 3 and pattern[close - 1] == ":":  # [:name:], else "[" is a character
                name = pattern[i + 2 : close - 1]
                if name not in _CHARACTER_CLASSES:
                    return None
                items.append(_CHARACTER_CLASSES[name])
                i = close + 1
                continue
        char, i = _bracket_char(pattern, i)
        if char is None:
            return None
        items.append(re.escape(char))
        if pattern.startswith("-", i) and i + 1 < len(pattern) and pattern[i + 1] != "]":
            last, i = _bracket_char(pattern, i + 1)
            if last is None:
                return None
            if last >= char:  # git matches a reversed range's first character only
                items.append(f"{re.escape(char)}-{re.escape(last)}")
    if i >= len(pattern):
        return None
    body = "".join(items)
    return ("[^/" + body + "]" if negated else "(?!/)[" + body + "]"), i + 1


def _bracket_char(pattern: str, i: int) -> tuple[str | None, int]:
    if pattern[i] == "\\":
        return (pattern[i + 1], i + 2) if i + 1 < len(pattern) else (None, i + 1)
    return pattern[i], i + 1


# Git's excludes: which ignore files apply where.


class _Level(NamedTuple):
    """An ignore file in force, and the path from its folder to the folder being walked (``""`` or ``a/b/``)."""

    rules: _Rules
    prefix: str


# The ignore files in force in a folder, the deepest first: the first that has a matching line decides.
_Levels = tuple[_Level, ...]


class _Start(NamedTuple):
    """Where a walk starts: inside an ignored folder (nothing to yield), or the excludes the folder inherits."""

    ignored: bool
    inherited: _Levels | None


def _git_ignores(levels: _Levels, name: str, is_dir: bool) -> bool:
    for level in levels:
        verdict = level.rules.verdict(level.prefix + name, is_dir)
        if verdict is not None:
            return verdict
    return False


def _descend(levels: _Levels, name: str) -> _Levels:
    return tuple(_Level(level.rules, f"{level.prefix}{name}/") for level in levels)


class _GitExcludes:
    """The ignore files of the repositories walked, each read and compiled once."""

    def __init__(self) -> None:
        self._files: dict[str, _Rules | None] = {}

    def start(self, folder: str) -> _Start:
        """The excludes ``folder`` (a real path) inherits from the folders above it in its repository, checking
        on the way down from the repository's root that none of them, nor ``folder``, is ignored."""
        root = _work_tree_root(folder)
        if root is None or root == folder:
            return _Start(False, None)
        levels = self._with_ignore_file(self._repository_levels(root), root)
        names = os.path.relpath(folder, root).split(os.sep)
        current = root
        for depth, name in enumerate(names):
            if _git_ignores(levels, name, is_dir=True):
                return _Start(True, None)
            levels = _descend(levels, name)
            current = _join(current, name)
            if depth < len(names) - 1:
                levels = self._with_ignore_file(levels, current)
        return _Start(False, levels)

    def levels_in(self, folder: _Folder, names: Sequence[str]) -> _Levels | None:
        """The excludes in force in a folder being walked, which lists ``names``: a repository of its own
        starts afresh; its ``.gitignore`` comes first."""
        if ".git" in names:
            levels: _Levels = self._repository_levels(folder.real)
        elif folder.git is None:
            return None
        else:
            levels = folder.git
        return self._with_ignore_file(levels, folder.real) if ".gitignore" in names else levels

    def _with_ignore_file(self, levels: _Levels, folder: str) -> _Levels:
        rules = self._rules(os.path.join(folder, ".gitignore"), in_tree=True)
        return levels if rules is None else (_Level(rules, ""), *levels)

    def _repository_levels(self, root: str) -> _Levels:
        """The repository-wide excludes: ``info/exclude`` over the global excludes file."""
        git_dir = _common_git_dir(root)
        files = [os.path.join(git_dir, "info", "exclude"), _global_excludes_file(git_dir, root)]
        rules = (self._rules(path, in_tree=False) for path in files if path is not None)
        return tuple(_Level(rule, "") for rule in rules if rule is not None)

    def _rules(self, path: str, in_tree: bool) -> _Rules | None:
        """An ignore file compiled; None when it is missing, unreadable or has no patterns. Like git, a
        ``.gitignore`` in the work tree that is a symlink is not read."""
        if path not in self._files:
            text = _read_text(path, follow_links=not in_tree)
            self._files[path] = None if text is None else _compile_rules(text)
        return self._files[path]


def _read_text(path: str, follow_links: bool = True) -> str | None:
    """A text file's contents (undecodable bytes kept as surrogates, as file names are), or None when unreadable."""
    flags = os.O_RDONLY | (0 if follow_links else getattr(os, "O_NOFOLLOW", 0))
    try:
        with open(os.open(path, flags), encoding="utf-8", errors="surrogateescape") as file:
            return file.read()
    except OSError:
        return None


def _work_tree_root(folder: str) -> str | None:
    """The nearest folder at or above ``folder`` that has a ``.git``."""
    current = folder
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _common_git_dir(root: str) -> str:
    """The repository's git folder shared by its work trees: ``.git``, or where a ``.git`` file points."""
    git = os.path.join(root, ".git")
    pointer = _read_text(git) if os.path.isfile(git) else None
    if pointer is None or not pointer.startswith("gitdir:"):
        return git
    git = os.path.join(root, pointer[len("gitdir:") :].strip())
    common = _read_text(os.path.join(git, "commondir"))
    return git if common is None else os.path.join(git, common.strip())


# Git's excludes: the global excludes file, from git's configuration read without running git.


def _global_excludes_file(git_dir: str, root: str) -> str | None:
    """``core.excludesFile`` from the user's and the repository's configuration, else git's default."""
    home = os.environ.get("HOME", "")
    config_home = os.environ.get("XDG_CONFIG_HOME", "") or (os.path.join(home, ".config") if home else "")
    if "GIT_CONFIG_GLOBAL" in os.environ:
        configs = [os.environ["GIT_CONFIG_GLOBAL"]]
    else:
        configs = [os.path.join(config_home, "git", "config") if config_home else ""]
        configs.append(os.path.join(home, ".gitconfig") if home else "")
    value = None
    for config in [*configs, os.path.join(git_dir, "config")]:
        found = _config_value(config, "core", "excludesfile") if config else None
        value = value if found is None else found
    if value is None:
        return os.path.join(config_home, "git", "ignore") if config_home else None
    if not value:
        return None
    return os.path.join(root, os.path.expanduser(value))


_SECTION = re.compile(r'\s*\[\s*([A-Za-z0-9.-]+)(\s+"(?:[^"\\]|\\.)*")?\s*\]')
_KEY = re.compile(r"\s*([A-Za-z][A-Za-z0-9-]*)\s*(=?)")
_ESCAPES = {"n": "\n", "t": "\t", "b": "\b", "\\": "\\", '"': '"'}


def _config_value(path: str, section: str, key: str) -> str | None:
    """The last value of ``section.key`` in a git configuration file (``[include]`` not followed)."""
    text = _read_text(path)
    if text is None:
        return None
    value = None
    current = ""
    for line in text.split("\n"):
        header = _SECTION.match(line)
        if header:
            current = header.group(1).lower() if header.group(2) is None else ""
            line = line[header.end() :]
        match = _KEY.match(line)
        if match and current == section and match.group(1).lower() == key:
            value = _config_string(line[match.end() :]) if match.group(2) else ""
    return value


def _config_string(text: str) -> str:
    """A configuration value: quotes removed, escapes read, comments and unquoted trailing spaces dropped."""
    chars: list[str] = []
    kept = 0  # length of chars without trailing unquoted spaces
    quoted = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            quoted = not quoted
            kept = len(chars)
        elif char == "\\" and i + 1 < len(text):
            i += 1
            chars.append(_ESCAPES.get(text[i], text[i]))
            kept = len(chars)
        elif char in "#;" and not quoted:
            break
        else:
            if chars or not char.isspace() or quoted:
                chars.append(char)
            if quoted or not char.isspace():
                kept = len(chars)
        i += 1
    return "".join(chars[:kept])
