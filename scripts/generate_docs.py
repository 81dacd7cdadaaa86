"""Regenerate docs/rules/BUF00N.md and the README's rule table from the rules' own documentation.

python scripts/generate_docs.py          # write
python scripts/generate_docs.py --check  # exit 1 when something is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from buffer_lint.report.docs import render_rule, rule_table
from buffer_lint.rules.registry import RULES

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TABLE = re.compile(r"(<!-- rules:start -->\n)(.*?)(<!-- rules:end -->)", re.S)


def expected_files() -> dict[Path, str]:
    files = {ROOT / "docs" / "rules" / f"{rule.code}.md": render_rule(rule) for rule in RULES}
    readme = README.read_text(encoding="utf-8")
    files[README] = TABLE.sub(lambda m: m.group(1) + rule_table(RULES) + m.group(3), readme)
    return files


def stale_files() -> list[Path]:
    return [
        path for path, text in expected_files().items() if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    args = parser.parse_args()
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)} (run python scripts/generate_docs.py)")
        return 1 if stale else 0
    for path, text in expected_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
