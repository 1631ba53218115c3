"""Printing results: a readable table, or one JSON object on the last line of stdout."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def say(text: str = "") -> None:
    """Results go to the real stdout; while a benchmark runs, sys.stdout is the handlers' log."""
    out = sys.__stdout__ or sys.stdout
    print(text, file=out, flush=True)


RESULTS = Path(__file__).resolve().parent / "results"


def emit(name: str, result: dict[str, Any], *, as_json: bool, title: str,
         table: Sequence[Sequence[str]] | None = None, notes: list[str] | None = None) -> None:
    """Print the result, and keep it as bench/results/<name>.json (or in $BENCH_RESULTS)."""
    results = Path(os.environ.get("BENCH_RESULTS") or RESULTS)
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{name}.json").write_text(json.dumps(result, indent=2, sort_keys=True, default=_plain) + "\n")
    if as_json:
        say(json.dumps(result, sort_keys=True, separators=(",", ":"), default=_plain))
        return
    say(title)
    say("=" * len(title))
    if table:
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for index, row in enumerate(table):
            say("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)))
            if index == 0:
                say("  ".join("-" * w for w in widths))
    for note in notes or []:
        say(note)


def _plain(value: Any) -> Any:
    if hasattr(value, "__float__"):
        return float(value)
    return str(value)


def fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"
