"""Ways to print results: text (``text``), and machine-readable formats (``machine``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from buffer_lint.findings import FileResult


def machine_output(output_format: str, results: Sequence[FileResult], unsafe: bool, statistics: bool = False) -> str:
    """The results as json, github or sarif (paths relative to the working directory); with
    ``statistics``, the counts per code (as JSON, whatever the format, like ruff)."""
    from buffer_lint.report import machine

    if statistics:
        return machine.statistics_json(results, unsafe)
    if output_format == "github":
        return machine.to_github(results)
    if output_format == "sarif":
        return machine.to_sarif(results, Path.cwd())
    return machine.to_json(results, unsafe)
