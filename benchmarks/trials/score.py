"""Score buffer-lint against the `# expect:` markers of the trial files (standard library only).

Run with the python of the environment where buffer-lint is installed:

    /work/main/.venv/bin/python benchmarks/trials/score.py [--details]

It runs `python -m buffer_lint check --no-cache -j1 --isolated --output-format json` over this
folder, reads every `# expect: BUF001, BUF006` marker (a code may repeat: two findings on one
line), and compares (file, line, code) multisets: TP reported and expected, FP reported and not
expected, FN expected and not reported. Exit status 0; the figures are the output.
"""
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARKER = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")


def expected() -> Counter:
    wanted = Counter()
    for path in sorted(HERE.rglob("*.py")):
        if path.name == "score.py":
            continue
        rel = path.relative_to(HERE).as_posix()
        for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = MARKER.search(line)
            if match:
                for code in match.group(1).split(","):
                    if code.strip():
                        wanted[(rel, row, code.strip())] += 1
    return wanted


def reported() -> Counter:
    command = [sys.executable, "-m", "buffer_lint", "check", "--no-cache", "-j1", "--isolated",
               "--output-format", "json", "--exit-zero", "--exclude", "score.py", str(HERE)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"buffer-lint failed ({result.returncode}):\n{result.stderr}")
    found = Counter()
    for item in json.loads(result.stdout or "[]"):
        rel = Path(item["filename"]).resolve().relative_to(HERE).as_posix()
        found[(rel, item["location"]["row"], item["code"])] += 1
    return found


def main() -> None:
    wanted, found = expected(), reported()
    tp, fp, fn = wanted & found, found - wanted, wanted - found
    files = sorted({key[0] for key in wanted} | {key[0] for key in found}
                   | {p.relative_to(HERE).as_posix() for p in HERE.rglob("*.py") if p.name != "score.py"})
    print(f"{'file':32} {'TP':>3} {'FP':>3} {'FN':>3}")
    for name in files:
        counts = [sum(n for key, n in c.items() if key[0] == name) for c in (tp, fp, fn)]
        print(f"{name:32} {counts[0]:>3} {counts[1]:>3} {counts[2]:>3}")
    n_tp, n_fp, n_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    precision = n_tp / (n_tp + n_fp) if n_tp + n_fp else 1.0
    recall = n_tp / (n_tp + n_fn) if n_tp + n_fn else 1.0
    print(f"{'TOTAL':32} {n_tp:>3} {n_fp:>3} {n_fn:>3}")
    print(f"precision = {n_tp}/{n_tp + n_fp} = {precision:.3f}")
    print(f"recall    = {n_tp}/{n_tp + n_fn} = {recall:.3f}")
    if "--details" in sys.argv[1:] or fp or fn:
        for label, bag in (("FP", fp), ("FN", fn)):
            for (name, row, code), n in sorted(bag.items()):
                print(f"{label} {name}:{row} {code}" + (f" x{n}" if n > 1 else ""))


if __name__ == "__main__":
    main()
