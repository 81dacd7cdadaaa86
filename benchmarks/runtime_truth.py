"""Runtime truth: build real models on the meta device, audit them, and measure the static analysis against it.

Needs an environment with torch, timm and transformers besides buffer-lint, not the project's
own venv (torch pinned first: unpinned, pip takes a multi-GB CUDA build; torchvision's wheel is
a CUDA build whose C ops this script stubs out)::

    python3 -m venv /work/bench-venv && /work/bench-venv/bin/pip install torch==2.13.0
    /work/bench-venv/bin/pip install --no-deps torchvision==0.28.0 $CORPUS/wheels/timm-*.whl \
        $CORPUS/wheels/transformers-*.whl
    /work/bench-venv/bin/pip install huggingface_hub safetensors pyyaml regex tqdm packaging filelock \
        numpy pillow tokenizers typer flake8 libcst pathspec
    /work/bench-venv/bin/pip install --no-deps -e .

    python benchmarks/runtime_truth.py sweep [--packages timm transformers] [--jobs 2] [--timeout 60]
    python benchmarks/runtime_truth.py recall [--corpus /work/corpus/src]
    python benchmarks/runtime_truth.py overhead [--models 50] [--rounds 5]

``sweep`` builds every ``timm.list_models()`` name (``timm.create_model(name, pretrained=False)``)
and every transformers model type (``AutoModel.from_config(AutoConfig.for_model(type))``) under
``with torch.device("meta"), buffer_lint.audit.tracing()``, audits each, and writes
``benchmarks/truth/<package>.json``: every plain tensor (BUF001) and container (BUF006) at the
line that assigned it, paths relative to the package root, with the package versions. Each
model is built in a worker process with a time limit; models that fail or time out are listed.
``recall`` runs ``buffer-lint check --select BUF001,BUF006`` on the same files of the corpus
(the pinned wheels' sources) and prints how many truth entries it finds at the same file:line.
``overhead`` times building a sample of timm models with and without ``tracing()``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TRUTH_DIR = HERE / "truth"
PACKAGES = ("timm", "transformers")
CODES = ("BUF001", "BUF006")
DEFAULT_CORPUS = Path(os.environ.get("BUFFER_LINT_CORPUS", "/work/corpus")) / "src"
EXAMPLE_MODELS = 5  # model names kept per truth entry


class Timeout(Exception):
    pass


# ---------------------------------------------------------------- building (in the workers)


def _stub_torchvision_meta() -> None:
    """torchvision's PyPI wheel is a CUDA build whose C ops do not load on a CPU-only torch; its import then
    fails registering meta kernels for them. Model building needs none of those ops."""
    name = "torchvision._meta_registrations"
    sys.modules.setdefault(name, types.ModuleType(name))


def model_names(package: str) -> list[str]:
    _stub_torchvision_meta()
    if package == "timm":
        import timm

        return sorted(timm.list_models())
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    return sorted(CONFIG_MAPPING.keys())


def builder(package: str) -> Callable[[str], Any]:
    _stub_torchvision_meta()
    if package == "timm":
        import timm

        return lambda name: timm.create_model(name, pretrained=False)
    from transformers import AutoConfig, AutoModel

    return lambda name: AutoModel.from_config(AutoConfig.for_model(name))


def package_root(package: str) -> Path:
    """The package's folder (its parent, site-packages, is what truth paths are relative to)."""
    module = __import__(package)
    return Path(module.__file__).resolve().parent


def audit_one(build: Callable[[str], Any], name: str, timeout: int, root: Path) -> dict[str, Any]:
    import torch

    from buffer_lint.audit import audit, tracing

    signal.signal(signal.SIGALRM, _raise_timeout)
    start = time.perf_counter()
    signal.alarm(timeout)
    try:
        with tracing(), torch.device("meta"):
            model = build(name)
        findings = [_entry(f, root) for f in audit(model)]
    except Timeout:
        return {"model": name, "error": f"timed out after {timeout} s"}
    except Exception as error:  # a model's build may raise anything
        return {"model": name, "error": f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"}
    finally:
        signal.alarm(0)
    return {"model": name, "seconds": round(time.perf_counter() - start, 4), "findings": findings}


def _raise_timeout(signum: int, frame: Any) -> None:
    raise Timeout


def _entry(item: Any, root: Path) -> dict[str, Any]:
    """A finding as the truth file keeps it: its path relative to site-packages when it lies there."""
    path = Path(item.path).resolve()
    relative = path.relative_to(root.parent) if path.is_relative_to(root.parent) else path
    return {
        "code": item.finding.code,
        "path": relative.as_posix(),
        "line": item.finding.line,
        "class": item.owner_class,
        "attribute": item.attribute,
        "traced": item.traced,
        "inside": path.is_relative_to(root),  # in the package's own code
    }


def worker(package: str, names: Sequence[str], timeout: int) -> None:
    """Build and audit each name, printing one JSON line per model (the parent reads them as they come)."""
    build, root = builder(package), package_root(package)
    for name in names:
        print(json.dumps(audit_one(build, name, timeout, root)), flush=True)


# ---------------------------------------------------------------- sweep (the parent)


def sweep(package: str, jobs: int, timeout: int, limit: int | None) -> dict[str, Any]:
    names = model_names(package)
    if limit:
        names = names[:: max(1, len(names) // limit)][:limit]
    started = time.perf_counter()
    results = list(_run_workers(package, names, jobs, timeout))
    wall = time.perf_counter() - started
    truth = _truth(package, names, results)
    _print_sweep(package, truth, results, wall)
    return truth


def _run_workers(package: str, names: list[str], jobs: int, timeout: int) -> Iterator[dict[str, Any]]:
    shards = [names[i::jobs] for i in range(jobs)]
    processes = [_start_worker(package, shard, timeout) for shard in shards if shard]
    for process, shard in zip(processes, shards):
        seen = set()
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("{"):
                result = json.loads(line)
                seen.add(result["model"])
                yield result
        process.wait()
        for name in shard:
            if name not in seen:  # the worker died (a crash, or killed) before reaching it
                yield {"model": name, "error": f"worker exited with {process.returncode}"}


def _start_worker(package: str, names: list[str], timeout: int) -> subprocess.Popen[str]:
    command = [sys.executable, __file__, "worker", "--timeout", str(timeout), package, *names]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _truth(package: str, names: list[str], results: list[dict[str, Any]]) -> dict[str, Any]:
    entries: dict[tuple[str, str, int, str], dict[str, Any]] = {}
    for result in sorted(results, key=lambda r: r["model"]):
        for found in result.get("findings", ()):
            key = (found["path"], found["code"], found["line"], found["attribute"])
            entry = entries.setdefault(key, {**found, "models": [], "model_count": 0})
            entry["model_count"] += 1
            if len(entry["models"]) < EXAMPLE_MODELS:
                entry["models"].append(result["model"])
    failed = {r["model"]: r["error"] for r in results if "error" in r}
    return {
        "package": package,
        "versions": {name: metadata.version(name) for name in (package, "torch")},
        "python": platform.python_version(),
        "device": "meta",
        "models": {"tried": len(names), "built": len(results) - len(failed), "failed": dict(sorted(failed.items()))},
        "findings": [entries[key] for key in sorted(entries)],
    }


def _print_sweep(package: str, truth: dict[str, Any], results: list[dict[str, Any]], wall: float) -> None:
    seconds = sorted(r["seconds"] for r in results if "seconds" in r)
    findings = truth["findings"]
    inside = [f for f in findings if f["inside"]]
    print(f"{package}: {truth['models']['built']}/{truth['models']['tried']} models built in {wall:.0f} s wall")
    if seconds:
        print(
            f"  build+audit per model: median {statistics.median(seconds):.3f} s, "
            f"p90 {seconds[int(len(seconds) * 0.9)]:.3f} s, max {seconds[-1]:.2f} s"
        )
    codes = {code: sum(1 for f in inside if f["code"] == code) for code in CODES}
    print(f"  truth: {len(inside)} places in {package} ({codes}), {len(findings) - len(inside)} outside it")
    print(f"  untraced (located at the class): {sum(1 for f in findings if not f['traced'])}")


# ---------------------------------------------------------------- recall


def recall(package: str, corpus: Path) -> dict[str, Any]:
    truth = json.loads((TRUTH_DIR / f"{package}.json").read_text())
    entries = [f for f in truth["findings"] if f["inside"]]
    root = corpus / package
    files = sorted({f["path"] for f in entries})
    static = _static_findings(root, files)
    at_line = [f for f in entries if (f["path"], f["line"]) in static]
    same_code = [f for f in at_line if f["code"] in static[(f["path"], f["line"])]]
    result = {"package": package, "truth": len(entries), "found_at_line": len(at_line), "same_code": len(same_code)}
    for code in CODES:
        of_code = [f for f in entries if f["code"] == code]
        found = [f for f in of_code if code in static.get((f["path"], f["line"]), ())]
        result[code] = (len(found), len(of_code))
    _print_recall(result)
    return result


def _static_findings(root: Path, files: list[str]) -> dict[tuple[str, int], set[str]]:
    """(path, line) -> codes that ``buffer-lint check`` reports there."""
    if not files:
        return {}
    command = [sys.executable, "-m", "buffer_lint", "check", "--isolated", "--no-cache", "--exit-zero"]
    command += ["--select", ",".join(CODES), "--output-format", "json", *files]
    output = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout
    found: dict[tuple[str, int], set[str]] = {}
    for item in json.loads(output):
        path = Path(item["filename"])
        relative = (path.relative_to(root) if path.is_absolute() else path).as_posix()
        found.setdefault((relative, item["location"]["row"]), set()).add(item["code"])
    return found


def _print_recall(result: dict[str, Any]) -> None:
    truth = result["truth"] or 1
    print(
        f"{result['package']}: static recall {result['found_at_line']}/{result['truth']} "
        f"({100 * result['found_at_line'] / truth:.1f}%) at the same file:line, "
        f"{result['same_code']} with the same code; "
        + ", ".join(f"{code} {found}/{total}" for code in CODES for found, total in [result[code]])
    )


# ---------------------------------------------------------------- overhead


def overhead(sample: int, rounds: int) -> None:
    """Median build time of each sampled timm model with and without tracing(), in interleaved rounds."""
    import torch

    from buffer_lint.audit import tracing

    names = model_names("timm")
    names = names[:: max(1, len(names) // sample)][:sample]
    build = builder("timm")
    names = [n for n in names if _builds(build, n)]  # also the untimed warm-up
    times: dict[bool, dict[str, list[float]]] = {False: {n: [] for n in names}, True: {n: [] for n in names}}
    for round_index in range(rounds):
        for name in names:
            for traced in (round_index % 2 == 0, round_index % 2 == 1):
                times[traced][name].append(_time_build(build, name, traced, torch, tracing))
    plain = {n: statistics.median(t) for n, t in times[False].items()}
    traced = {n: statistics.median(t) for n, t in times[True].items()}
    ratios = sorted(traced[n] / plain[n] for n in names)
    print(
        f"tracing overhead on {len(names)} timm models, {rounds} interleaved rounds: "
        f"total {sum(traced.values()):.2f} s vs {sum(plain.values()):.2f} s = "
        f"{sum(traced.values()) / sum(plain.values()):.3f}x; per-model median {statistics.median(ratios):.3f}x, "
        f"p90 {ratios[int(len(ratios) * 0.9)]:.3f}x"
    )


def _builds(build: Callable[[str], Any], name: str) -> bool:
    import torch

    try:
        with torch.device("meta"):
            build(name)
    except Exception:
        return False
    return True


def _time_build(build: Callable[[str], Any], name: str, traced: bool, torch: Any, tracing: Any) -> float:
    start = time.perf_counter()
    with torch.device("meta"):
        if traced:
            with tracing():
                build(name)
        else:
            build(name)
    return time.perf_counter() - start


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_sweep = commands.add_parser("sweep", help="build, audit, write benchmarks/truth/<package>.json")
    run_sweep.add_argument("--packages", nargs="+", default=list(PACKAGES), choices=PACKAGES)
    run_sweep.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    run_sweep.add_argument("--timeout", type=int, default=60, help="seconds per model")
    run_sweep.add_argument("--limit", type=int, help="an evenly spaced sample of this many models per package")
    run_sweep.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus's src/ folder")
    run_recall = commands.add_parser("recall", help="static recall against the truth files")
    run_recall.add_argument("--packages", nargs="+", default=list(PACKAGES), choices=PACKAGES)
    run_recall.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the corpus's src/ folder")
    run_overhead = commands.add_parser("overhead", help="build time with and without tracing()")
    run_overhead.add_argument("--models", type=int, default=50)
    run_overhead.add_argument("--rounds", type=int, default=5)
    run_worker = commands.add_parser("worker")  # internal: one shard of a sweep
    run_worker.add_argument("package", choices=PACKAGES)
    run_worker.add_argument("names", nargs="*")
    run_worker.add_argument("--timeout", type=int, default=60)
    args = parser.parse_args(argv)
    if args.command == "worker":
        worker(args.package, args.names, args.timeout)
    elif args.command == "overhead":
        overhead(args.models, args.rounds)
    else:
        for package in args.packages:
            if args.command == "sweep":
                _write_truth(sweep(package, args.jobs, args.timeout, args.limit))
            recall(package, args.corpus)
    return 0


def _write_truth(truth: dict[str, Any]) -> None:
    TRUTH_DIR.mkdir(exist_ok=True)
    path = TRUTH_DIR / f"{truth['package']}.json"
    path.write_text(json.dumps(truth, indent=1) + "\n")
    print(f"  wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    sys.exit(main())
