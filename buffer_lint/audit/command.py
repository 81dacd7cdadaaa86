"""``buffer-lint audit TARGET``: build a model and report what it holds that would not follow ``.to()``.

Arguments and exit codes only, like ``check``: 0 clean, 1 findings, 2 the target could not be
imported or built (one line on stderr, no traceback). torch is imported when the command runs,
never when the parser is built, so ``check`` stays free of it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from buffer_lint.audit.build import BuildError, build, load_target
from buffer_lint.report import machine_output
from buffer_lint.report import text as text_report
from buffer_lint.rules.selection import DEFAULT_SELECT, Selection, SelectorError
from buffer_lint.settings import split_codes

if TYPE_CHECKING:
    from buffer_lint.audit.core import AuditFinding

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
DEFAULT_DEVICE, FALLBACK_DEVICE = "meta", "cpu"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "audit",
        help="build a model and report the tensors it holds that do not follow .to() (imports torch)",
        description="Build TARGET (on the meta device) and report plain tensors (BUF001), unregistered "
        "containers (BUF006) and, with --frozen, frozen parameters (BUF002), at the lines that assigned them.",
    )
    parser.add_argument("target", metavar="TARGET", help="package.module:callable, a model class or a factory")
    parser.add_argument("--kwargs", type=_json_object, default={}, metavar="JSON", help="keyword arguments, as JSON")
    parser.add_argument("--device", help="the device to build on (default: meta, then cpu if that fails)")
    parser.add_argument("--frozen", action="store_true", help="also report parameters with requires_grad=False")
    parser.add_argument("--select", action="append", metavar="CODES", help="report only these codes (prefixes)")
    parser.add_argument("--ignore", action="append", metavar="CODES", help="do not report these codes (prefixes)")
    parser.add_argument(
        "--compare", action="store_true", help="also run the static check on the files found: both, runtime, static"
    )
    parser.add_argument("--output-format", choices=("text", "json", "github", "sarif"), default="text")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when problems are found")
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        selection = Selection(split_codes(args.select or ()) or DEFAULT_SELECT, ignore=split_codes(args.ignore or ()))
        if args.compare and args.output_format not in ("text", "json"):
            raise SelectorError("--compare writes text or json only")
        findings = _audit_target(args)
    except (BuildError, SelectorError) as error:
        print(f"buffer-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    findings = [f for f in findings if selection.enables(f.finding.code)]
    if args.compare:
        _write_comparison(findings, selection, args, sys.stdout)
    else:
        _write(findings, args.output_format, sys.stdout)
    return EXIT_FINDINGS if findings and not args.exit_zero else EXIT_CLEAN


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"invalid JSON: {error}") from error
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object of keyword arguments")
    return value


def _audit_target(args: argparse.Namespace) -> list[AuditFinding]:
    factory = load_target(args.target)
    from buffer_lint.audit.core import audit
    from buffer_lint.audit.sites import tracing

    with tracing():
        model = _build(factory, args.kwargs, args.device)
    return audit(model, frozen=args.frozen)


def _build(factory: Any, kwargs: dict[str, Any], device: str | None) -> Any:
    if device is not None:
        return build(factory, kwargs, device)
    try:
        return build(factory, kwargs, DEFAULT_DEVICE)
    except BuildError as error:
        print(f"buffer-lint: note: {error}; building on the {FALLBACK_DEVICE} instead", file=sys.stderr)
        return build(factory, kwargs, FALLBACK_DEVICE)


def _write(findings: list[AuditFinding], output_format: str, out: TextIO) -> None:
    from buffer_lint.audit.core import to_file_results

    results = to_file_results(findings)
    if output_format == "text":
        text_report.write_findings(results, out, unsafe=False)
        text_report.write_summary(results, out, fix=False, diff=False, unsafe=False)
    else:
        out.write(machine_output(output_format, results, unsafe=False))


def _write_comparison(
    findings: list[AuditFinding], selection: Selection, args: argparse.Namespace, out: TextIO
) -> None:
    from buffer_lint.audit.compare import compare, sections

    titled = sections(compare(findings, selection, args.frozen))
    if args.output_format == "json":
        data = {key: json.loads(machine_output("json", results, unsafe=False)) for key, _, results in titled}
        out.write(json.dumps(data, indent=2) + "\n")
        return
    for _, title, results in titled:
        out.write(f"{title} ({sum(len(r.findings) for r in results)}):\n")
        text_report.write_findings(results, out, unsafe=False)
