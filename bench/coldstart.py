"""Cold-start import cost of every handler, next to a bare ``import boto3`` measured in the same run.

A Lambda cold start pays for importing the handler module before the first event. Each handler
is imported in a fresh interpreter with ``python -X importtime`` (the same ``/opt/python`` layout
as in Lambda: the project root and ``shared/`` on the path) several times; the median cumulative
time of the top-level import is reported. Target: every handler at most 1.5x ``import boto3``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

from bench.report import emit, fmt
from local.template import ROOT, Template

TARGET_RATIO = 1.5


def import_time_ms(module: str) -> float:
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "shared")]),
                        "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                          text=True, env=env, cwd=ROOT, check=True)
    for line in reversed(done.stderr.splitlines()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1000
    raise RuntimeError(f"no import time reported for {module}")


def median_ms(module: str, runs: int) -> float:
    import_time_ms(module)  # warm the file system cache and .pyc files: measure imports, not disks
    return statistics.median(import_time_ms(module) for _ in range(runs))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench coldstart")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    baseline = median_ms("boto3", args.runs)
    handlers = {name: median_ms(function.module, args.runs)
                for name, function in sorted(Template.read().functions().items())}
    ratios = {name: ms / baseline for name, ms in handlers.items()}
    result = {"boto3_ms": baseline, "handlers_ms": handlers, "ratios": ratios, "target_ratio": TARGET_RATIO,
              "all_within_target": all(r <= TARGET_RATIO for r in ratios.values()), "runs": args.runs,
              "python": sys.version.split()[0]}
    rows = [("handler", "import (ms)", "x import boto3")]
    rows.append(("import boto3", fmt(baseline), "1.00"))
    rows += [(name, fmt(ms), fmt(ratios[name], 2)) for name, ms in handlers.items()]
    emit("coldstart", result, as_json=args.json,
         title=f"coldstart: median of {args.runs} fresh imports (Python {result['python']})",
         table=rows, notes=[f"target: every handler <= {TARGET_RATIO}x import boto3: "
                            f"{'met' if result['all_within_target'] else 'NOT MET'}"])
    return 0
