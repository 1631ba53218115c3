"""python -m bench <name> [--json] [options]: run one benchmark (``make bench`` runs them all).

Results go to stdout (with --json, one JSON object on the last line); the handlers' own log
lines go to .local/bench-<name>.log.
"""

from __future__ import annotations

import importlib
import sys
import warnings

from local import logs
from local.auth import STATE_DIR

BENCHMARKS = {
    "promotions": "bench.promotions",
    "cost": "bench.cost",
    "coldstart": "bench.coldstart",
    "enqueue": "bench.enqueue",
    "reliability": "bench.reliability",
    "fuzz": "bench.fuzz",
    "categories": "bench.categories",
    "market": "bench.market",
    "fairness": "bench.fairness",
    "webhooks": "bench.webhooks",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in BENCHMARKS:
        print(__doc__)
        print("benchmarks: " + ", ".join(BENCHMARKS))
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    # A simulated crash interrupts a worker before it adds its metrics; Powertools then warns
    # about flushing none. Expected here, noise on the terminal.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    with (STATE_DIR / f"bench-{argv[0]}.log").open("w") as log:
        logs.install(log)  # handlers log (and print metrics) to stdout: send that to the file
        module = importlib.import_module(BENCHMARKS[argv[0]])
        return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
