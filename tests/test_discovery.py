"""Which files ``buffer-lint check PATHS`` checks: the same as git's, folder symlinks not followed, no duplicates."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from buffer_lint.files import Excluder, discover

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="compares with git")


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of our own, so that neither git nor discover reads the user's or the system's settings."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_CONFIG_GLOBAL", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def git_listed(repo: Path, under: str = ".") -> list[str]:
    """What git lists: tracked and untracked ``*.py`` files its excludes leave, relative to the repository."""
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name", "--"]
    result = subprocess.run(
        [*command, f"{under}/*.py" if under != "." else "*.py"], cwd=repo, check=True, capture_output=True, text=True
    )
    return sorted(name for name in result.stdout.split("\0") if name)


def discovered(repo: Path, under: str = ".") -> list[str]:
    return sorted(path.relative_to(repo).as_posix() for path in discover([str(repo / under)], []))


def assert_same_as_git(repo: Path, expected: list[str], under: str = ".") -> None:
    assert git_listed(repo, under) == sorted(expected)  # the test's own premise: git agrees with it
    assert discovered(repo, under) == sorted(expected)


# Git's excludes.


def test_nested_gitignore_negation_keeps_the_file(repo: Path) -> None:
    write(repo, {"top.py": "", "sub/keep.py": "", "sub/drop.py": "", "sub/.gitignore": "*.py\n!keep.py\n"})
    assert_same_as_git(repo, ["top.py", "sub/keep.py"])


def test_deeper_gitignore_overrides_the_root_one(repo: Path) -> None:
    write(repo, {".gitignore": "*.py\n", "top.py": "", "sub/.gitignore": "!keep.py\n"})
    write(repo, {"sub/keep.py": "", "sub/x.py": "", "sub/deeper/keep.py": ""})
    assert_same_as_git(repo, ["sub/deeper/keep.py", "sub/keep.py"])


def test_root_gitignore_overrides_info_exclude(repo: Path) -> None:
    write(repo, {".git/info/exclude": "*.py\n", ".gitignore": "!keep.py\n", "keep.py": "", "drop.py": ""})
    assert_same_as_git(repo, ["keep.py"])


def test_negated_file_inside_an_ignored_folder_stays_ignored(repo: Path) -> None:
    write(repo, {".gitignore": "out/\n!out/keep.py\n!keep.py\n", "out/keep.py": "", "out/sub/keep.py": "", "a.py": ""})
    assert_same_as_git(repo, ["a.py"])


def test_whitelisting_folders_does_not_whitelist_their_files(repo: Path) -> None:
    write(repo, {".gitignore": "*\n!*/\n!keep.py\n", "keep.py": "", "drop.py": "", "sub/keep.py": "", "sub/x.py": ""})
    assert_same_as_git(repo, ["keep.py", "sub/keep.py"])


def test_info_exclude(repo: Path) -> None:
    write(repo, {".git/info/exclude": "secret.py\n", "secret.py": "", "sub/secret.py": "", "open.py": ""})
    assert_same_as_git(repo, ["open.py"])


def test_global_excludes_file_default_location(repo: Path, isolated_git: Path) -> None:
    write(isolated_git, {".config/git/ignore": "scratch_*.py\n"})
    write(repo, {"scratch_1.py": "", "sub/scratch_2.py": "", "model.py": ""})
    assert_same_as_git(repo, ["model.py"])


def test_global_excludes_file_under_xdg_config_home(
    repo: Path, isolated_git: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(isolated_git / "xdg"))
    write(isolated_git, {"xdg/git/ignore": "scratch_*.py\n", ".config/git/ignore": "model.py\n"})
    write(repo, {"scratch_1.py": "", "model.py": ""})
    assert_same_as_git(repo, ["model.py"])


def test_global_excludes_file_named_in_gitconfig(repo: Path, isolated_git: Path) -> None:
    write(
        isolated_git,
        {
            ".gitconfig": '[user]\n\tname = x\n[Core] # comment\n\tExcludesFile = "~/my ignore" ; comment\n',
            "my ignore": "/generated.py\n",
            ".config/git/ignore": "model.py\n",  # not read when core.excludesFile is set
        },
    )
    write(repo, {"generated.py": "", "sub/generated.py": "", "model.py": ""})
    assert_same_as_git(repo, ["model.py", "sub/generated.py"])


def test_global_excludes_file_named_in_the_xdg_config(repo: Path, isolated_git: Path) -> None:
    write(isolated_git, {".config/git/config": "[core]\nexcludesfile = ~/elsewhere\n", "elsewhere": "tmp*.py\n"})
    write(repo, {"tmp1.py": "", "model.py": ""})
    assert_same_as_git(repo, ["model.py"])


def test_without_home_no_user_configuration_is_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, {".gitconfig": "[core]\nexcludesFile = ignore-all\n", "ignore-all": "*.py\n", "a.py": ""})
    monkeypatch.delenv("HOME")
    monkeypatch.chdir(repo)
    assert [p.name for p in discover([str(repo)], [])] == ["a.py"]


def test_anchored_patterns(repo: Path) -> None:
    write(
        repo,
        {
            ".gitignore": "/gen\n/pkg/setup.py\n",
            "gen/a.py": "",
            "pkg/gen/a.py": "",
            "pkg/setup.py": "",
            "setup.py": "",
            "sub/.gitignore": "/local.py\n",
            "sub/local.py": "",
            "sub/deeper/local.py": "",
        },
    )
    assert_same_as_git(repo, ["pkg/gen/a.py", "setup.py", "sub/deeper/local.py"])


def test_folder_only_patterns(repo: Path) -> None:
    write(
        repo,
        {
            ".gitignore": "cache/\nshim.py/\nsub/out/\n",
            "cache/a.py": "",
            "pkg/cache/a.py": "",
            "shim.py": "",
            "sub/out/a.py": "",
            "other/sub/out/a.py": "",
        },
    )
    assert_same_as_git(repo, ["other/sub/out/a.py", "shim.py"])


def test_double_star_patterns(repo: Path) -> None:
    write(
        repo,
        {
            ".gitignore": "**/tmp/*.py\ndocs/**\n!docs/keep.py\na/**/b.py\nx**y.py\n",
            "tmp/a.py": "",
            "pkg/tmp/a.py": "",
            "pkg/tmp/deep/a.py": "",
            "docs/conf.py": "",
            "docs/keep.py": "",
            "docs/api/keep.py": "",
            "a/b.py": "",
            "a/x/y/b.py": "",
            "c/a/b.py": "",
            "xay.py": "",
            "xy.py": "",
            "x_dir/y.py": "",
        },
    )
    assert_same_as_git(repo, ["c/a/b.py", "docs/keep.py", "pkg/tmp/deep/a.py", "x_dir/y.py"])


def test_double_star_after_a_literal_start_spans_folders_as_in_git(repo: Path) -> None:
    write(repo, {".gitignore": "c**/d.py\nx**/[!a]/\n", "cd.py": "", "cx/y/d.py": "", "e/cd.py": "", "xa/a/b/f.py": ""})
    assert_same_as_git(repo, ["e/cd.py"])


def test_escapes_comments_and_trailing_spaces(repo: Path) -> None:
    write(
        repo,
        {
            ".gitignore": "# comment.py\n\\#hash.py\n\\!bang.py\nspace.py   \n[ab]c.py\n",
            "#hash.py": "",
            "!bang.py": "",
            "space.py": "",
            "ac.py": "",
            "cc.py": "",
            "# comment.py": "",
        },
    )
    assert_same_as_git(repo, ["# comment.py", "cc.py"])


def test_bracket_expressions(repo: Path) -> None:
    write(
        repo,
        {
            ".gitignore": "[b-a]x.py\n[[:digit:]]*.py\n[[:nope:]]y.py\n[!a-c]z.py\n[]]w.py\n",
            "ax.py": "",
            "bx.py": "",
            "1.py": "",
            "ny.py": "",
            "az.py": "",
            "dz.py": "",
            "]w.py": "",
        },
    )
    assert_same_as_git(repo, ["ax.py", "az.py", "ny.py"])


def test_walking_a_subfolder_applies_the_repository_excludes(repo: Path) -> None:
    write(
        repo,
        {
            ".gitignore": "drop.py\nout/\n",
            "sub/.gitignore": "!drop.py\n",
            "sub/drop.py": "",
            "sub/pkg/drop.py": "",
            "sub/a.py": "",
            "sub/out/a.py": "",
            "other/drop.py": "",
        },
    )
    assert_same_as_git(repo, ["sub/a.py", "sub/drop.py", "sub/pkg/drop.py"], under="sub")
    assert_same_as_git(repo, [], under="sub/out")  # inside an ignored folder: nothing


def test_a_symlinked_gitignore_is_not_read_as_git_does_not(repo: Path) -> None:
    write(repo, {"rules": "a.py\n", "a.py": "", "b.py": "", "c.py": ""})
    write(repo.parent, {"exclude": "c.py\n"})
    os.symlink("rules", repo / ".gitignore")
    (repo / ".git" / "info" / "exclude").unlink()
    os.symlink(repo.parent / "exclude", repo / ".git" / "info" / "exclude")  # outside the tree, links are read
    assert_same_as_git(repo, ["a.py", "b.py"])


def test_gitignore_only_applies_inside_a_work_tree(tmp_path: Path) -> None:
    write(tmp_path / "plain", {".gitignore": "*.py\n", "a.py": ""})
    assert [p.name for p in discover([str(tmp_path / "plain")], [])] == ["a.py"]


def test_nested_repository_starts_afresh(repo: Path) -> None:
    write(
        repo,
        {
            ".gitignore": "inner_only.py\n",
            "inner/inner_only.py": "",
            "inner/.gitignore": "top.py\n",
            "inner/top.py": "",
            "top.py": "",
        },
    )
    subprocess.run(["git", "init", "-q", str(repo / "inner")], check=True)
    assert discovered(repo) == ["inner/inner_only.py", "top.py"]


def test_no_respect_gitignore(repo: Path) -> None:
    write(repo, {".gitignore": "*.py\n", "a.py": ""})
    assert [p.name for p in discover([str(repo)], [], respect_gitignore=False)] == ["a.py"]


# Walking: order, symlinks, duplicates.


def test_paths_are_joined_from_the_argument_sorted_per_folder_depth_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"b/c.py": "", "b_.py": "", "a.py": "", "b/a/z.py": "", "notes.txt": ""})
    monkeypatch.chdir(tmp_path)
    assert [str(p) for p in discover(["."], [])] == ["a.py", "b/a/z.py", "b/c.py", "b_.py"]
    assert [str(p) for p in discover(["b/../b"], [])] == ["b/../b/a/z.py", "b/../b/c.py"]


def test_a_folder_symlink_loop_is_not_followed(tmp_path: Path) -> None:
    write(tmp_path, {"sub/a.py": "", "b.py": ""})
    os.symlink("..", tmp_path / "sub" / "loop")
    assert [p.relative_to(tmp_path).as_posix() for p in discover([str(tmp_path)], [])] == ["b.py", "sub/a.py"]


def test_folder_symlinks_give_no_duplicates(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/a.py": ""})
    os.symlink("pkg", tmp_path / "pkg_link")
    os.symlink("pkg", tmp_path / "models.py")  # a folder symlink named like a module is no module either
    assert [p.relative_to(tmp_path).as_posix() for p in discover([str(tmp_path)], [])] == ["pkg/a.py"]


def test_a_folder_symlink_given_on_the_command_line_is_walked(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/a.py": ""})
    os.symlink("pkg", tmp_path / "pkg_link")
    assert list(discover([str(tmp_path / "pkg_link")], [])) == [tmp_path / "pkg_link" / "a.py"]


def test_broken_symlinks_are_yielded_to_be_reported(tmp_path: Path) -> None:
    os.symlink("nowhere.py", tmp_path / "dangling.py")
    os.symlink("nowhere", tmp_path / "dangling_folder")
    assert list(discover([str(tmp_path)], [])) == [tmp_path / "dangling.py"]
    assert list(discover([str(tmp_path / "dangling.py")], [])) == [tmp_path / "dangling.py"]


def test_symlinked_files_are_checked(tmp_path: Path) -> None:
    write(tmp_path, {"elsewhere/real.py": "", "tree/own.py": ""})
    os.symlink("../elsewhere/real.py", tmp_path / "tree" / "link.py")
    assert list(discover([str(tmp_path / "tree")], [])) == [tmp_path / "tree" / "link.py", tmp_path / "tree" / "own.py"]


def test_a_file_given_twice_is_yielded_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"pkg/a.py": "", "pkg/b.py": ""})
    monkeypatch.chdir(tmp_path)
    paths = ["pkg/b.py", "pkg", str(tmp_path / "pkg" / "a.py"), "pkg/../pkg/b.py"]
    assert [str(p) for p in discover(paths, [])] == ["pkg/b.py", "pkg/a.py"]


def test_a_folder_and_its_symlink_give_each_file_once(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/a.py": ""})
    os.symlink("pkg", tmp_path / "pkg_link")
    assert list(discover([str(tmp_path / "pkg_link"), str(tmp_path)], [])) == [tmp_path / "pkg_link" / "a.py"]


def test_missing_paths_are_yielded_to_be_reported(tmp_path: Path) -> None:
    assert list(discover([str(tmp_path / "missing.py")], [])) == [tmp_path / "missing.py"]


# Excludes while walking.


def test_walking_applies_excludes_like_excluder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = ["a.py", "gen/a.py", "pkg/gen/a.py", "pkg/gen/x/b.py", "pkg/test_a.py", "venv/a.py", "pkg/dist/c.py"]
    write(tmp_path, dict.fromkeys(files, ""))
    monkeypatch.chdir(tmp_path / "pkg")
    excluders = [Excluder(["test_*.py"]), Excluder(["pkg/gen"], tmp_path)]
    found = [p.relative_to(tmp_path).as_posix() for p in discover([str(tmp_path)], excluders)]
    assert found == ["a.py", "gen/a.py"]


def test_force_exclude_applies_to_files_named_explicitly(tmp_path: Path) -> None:
    write(tmp_path, {"venv/a.py": "", "b.py": ""})
    names = [str(tmp_path / "venv" / "a.py"), str(tmp_path / "b.py")]
    assert list(discover(names, [], force_exclude=True)) == [tmp_path / "b.py"]
    assert len(list(discover(names, []))) == 2


# Speed: folders are resolved, not files.


def test_files_are_not_resolved_one_by_one(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, {f"pkg{i}/m{j}.py": "" for i in range(3) for j in range(20)})
    write(repo, {".gitignore": "m1*.py\n"})
    calls = []
    resolve = Path.resolve

    def counting(self: Path, strict: bool = False) -> Path:
        calls.append(self)
        return resolve(self, strict)

    monkeypatch.setattr(Path, "resolve", counting)
    assert len(list(discover([str(repo)], [Excluder(["pkg2/m2*"], repo)]))) == 3 * 20 - 3 * 11 - 1
    assert len(calls) <= 5
