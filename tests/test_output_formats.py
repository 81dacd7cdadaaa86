"""--output-format json, github and sarif on the fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, ROOT, fixture_files, fixture_options, location_counts, run_cli

PLAIN_FIXTURES = [str(p.relative_to(ROOT)) for p in fixture_files() if not fixture_options(p)]
# The OASIS SARIF 2.1.0 JSON schema (errata 01), a copy of the public file.
SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
# The runs below check in this process; with as many files as the fixtures, -j1 keeps them there instead of
# forking a process pool from the test process (test_cache checks that -j2 prints what -j1 prints).
SERIAL = "-j1"


def text_findings() -> int:
    return sum(location_counts(run_cli(["check", SERIAL, *PLAIN_FIXTURES]).stdout).values())


def test_json_lists_every_finding_with_locations_fixes_and_urls() -> None:
    result = run_cli(["check", SERIAL, "--output-format", "json", *PLAIN_FIXTURES])
    assert result.returncode == 1
    items = json.loads(result.stdout)
    assert len(items) == text_findings()
    for item in items:
        assert set(item) == {"filename", "code", "message", "location", "end_location", "fix", "url"}
        assert item["location"]["row"] >= 1 and item["location"]["column"] >= 1
        assert item["url"] == f"docs/rules/{item['code']}.md" and (ROOT / item["url"]).exists()
        if item["fix"] is not None:
            assert item["fix"]["applicability"] in ("safe", "unsafe") and item["fix"]["edits"]


def apply_json_edits(text: str, items: list[dict]) -> str:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(location: dict[str, int]) -> int:
        return starts[location["row"] - 1] + location["column"] - 1

    edits = [e for item in items if item["fix"] for e in item["fix"]["edits"]]
    for edit in sorted(edits, key=lambda e: offset(e["location"]), reverse=True):
        text = text[: offset(edit["location"])] + edit["content"] + text[offset(edit["end_location"]) :]
    return text


@pytest.mark.parametrize("name", ["buf001/basic.py", "buf002/basic.py", "buf003/basic.py", "buf006/basic.py"])
def test_json_edits_reproduce_the_fixed_file(name: str) -> None:
    path = FIXTURES / name
    items = json.loads(run_cli(["check", "--output-format", "json", str(path)]).stdout)
    assert apply_json_edits(path.read_text(), items) == path.with_suffix(".fixed.py").read_text()


def test_github_annotations() -> None:
    path = "fixtures/columns/non_ascii.py"
    result = run_cli(["check", "--output-format", "github", path])
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"::error title=buffer-lint (BUF001),file={path},line=10,col=18,endLine=10,endColumn=43::BUF001 tensor "
        "attribute 'mask' is not registered: it stays on the CPU after .to()/.cuda() and is not in state_dict(); "
        'use self.register_buffer("mask", ..., persistent=False)'
    ]


def test_github_escapes_properties_and_data(tmp_path: Path) -> None:
    (tmp_path / "a,b:c.py").write_text("class X(:\n")
    result = run_cli(["check", "--output-format", "github", "a,b:c.py"], cwd=tmp_path)
    assert result.stdout.startswith("::error title=buffer-lint (E999),file=a%2Cb%3Ac.py,line=1,col=9,")


def test_sarif_validates_and_describes_every_rule() -> None:
    import jsonschema  # in the test extra: pip install -e '.[test]'

    result = run_cli(["check", SERIAL, "--output-format", "sarif", *PLAIN_FIXTURES, "fixtures/modules/module_bases.py"])
    log = json.loads(result.stdout)
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    run_ = log["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    text_count = text_findings()  # module_bases.py has none without its setting
    assert len(run_["results"]) == text_count
    for result_ in run_["results"]:
        rule = rules[result_["ruleIndex"]]
        assert rule["id"] == result_["ruleId"]
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["markdown"]
        location = result_["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not location["artifactLocation"]["uri"].startswith("/")
        assert location["region"]["startLine"] >= 1 and location["region"]["startColumn"] >= 1
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"


def test_sarif_of_a_clean_run_and_of_file_errors_validates(tmp_path: Path) -> None:
    import jsonschema  # in the test extra: pip install -e '.[test]'

    (tmp_path / "broken.py").write_text("def (:\n")
    (tmp_path / "clean.py").write_text("x = 1\n")
    schema = json.loads(SCHEMA.read_text())
    for target, count in (("clean.py", 0), ("broken.py", 1)):
        log = json.loads(run_cli(["check", "--output-format", "sarif", target], cwd=tmp_path).stdout)
        jsonschema.validate(log, schema)
        assert len(log["runs"][0]["results"]) == count
