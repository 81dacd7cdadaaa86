"""The flake8 plugin and the CLI are one engine: they must agree. flake8 runs for real (a subprocess: it finds the
plugin through its entry point); buffer-lint runs in this process (tests/test_cli.py runs the real command)."""

from __future__ import annotations

from tests.helpers import FIXTURES, ROOT, fixture_files, fixture_options, location_counts, locations, run, run_cli


def test_flake8_and_cli_report_the_same_locations_on_fixtures() -> None:
    plain = [str(p.relative_to(ROOT)) for p in fixture_files() if not fixture_options(p)]
    flake8 = run(["flake8", "--select", "BUF", *plain])
    cli = run_cli(["check", "-j1", *plain])  # -j1: no process pool forked from the test process
    assert flake8.returncode == cli.returncode == 1, flake8.stderr + cli.stderr
    assert location_counts(flake8.stdout) == location_counts(cli.stdout)
    summary = [line for line in cli.stdout.splitlines() if not line.startswith("fixtures/")]
    assert summary[0].startswith("Found ") and len(summary) == 2


def test_columns_count_characters_on_non_ascii_lines() -> None:
    path = "fixtures/columns/non_ascii.py"
    expected = {f"{path}:10:18: BUF001"}
    assert locations(run(["flake8", "--select", "BUF", path]).stdout) == expected
    assert locations(run_cli(["check", path]).stdout) == expected


def test_flake8_module_bases_option() -> None:
    path = "fixtures/modules/module_bases.py"
    without = run(["flake8", "--select", "BUF", path])
    assert without.returncode == 0 and without.stdout == ""
    with_option = run(["flake8", "--select", "BUF", "--buffer-lint-module-bases", "mylib.layers.Layer", path])
    assert locations(with_option.stdout) == {f"{path}:10:9: BUF001"}


def test_flake8_reads_module_bases_from_config(tmp_path) -> None:
    (tmp_path / "setup.cfg").write_text("[flake8]\nbuffer-lint-module-bases = mylib.layers.Layer\n")
    (tmp_path / "model.py").write_bytes((FIXTURES / "modules" / "module_bases.py").read_bytes())
    result = run(["flake8", "--select", "BUF", "model.py"], cwd=tmp_path)
    assert locations(result.stdout) == {"model.py:10:9: BUF001"}


def test_plugin_is_registered_with_flake8() -> None:
    result = run(["flake8", "--version"])
    assert "buffer-lint" in result.stdout
