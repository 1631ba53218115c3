"""Command line for the local stack: ``python -m local up|demo|token|invoke|openapi`` (see the Makefile)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any


def _up(args: argparse.Namespace) -> int:
    from local.stack import DEV_USERS, LocalStack

    scale = float(os.environ.get("SELLERJOBS_TIME_SCALE") or 1)
    stack = LocalStack(time_scale=scale, api_port=args.port, sandbox_port=args.sandbox_port,
                       write_state=not args.no_state).start()
    out = sys.__stdout__ or sys.stdout
    print(f"\nsellerjobs local stack is up (time runs {scale:g}x)", file=out)
    print(f"  API + dashboard     {stack.api_url}   (dashboard: {stack.api_url}/admin)", file=out)
    print(f"  marketplace sandbox {stack.sandbox_url}", file=out)
    print(f"  webhook receiver    {stack.sandbox_url}/hooks/<name>   (give it a secret: POST "
          f"{stack.sandbox_url}/_sandbox/webhook-receivers)", file=out)
    print(f"  AWS (moto)          {stack.aws_endpoint}", file=out)
    for user in DEV_USERS:
        print(f"\n  {user}: {stack.api_url}/admin#token={stack.token(user)}", file=out)
    print(f"\n  operator (admin: market data pane): {stack.api_url}/admin#token={stack.token('operator', admin=True)}",
          file=out)
    print(f"\n  export API={stack.api_url} SANDBOX={stack.sandbox_url} TOKEN={stack.token(DEV_USERS[0])} "
          f"ADMIN_TOKEN={stack.token('operator', admin=True)}", file=out)
    print("\nFunction logs follow. Ctrl-C stops the stack.\n", file=out, flush=True)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from local.demo import run

    return run(time_scale=args.scale, verbose=args.verbose)


def _token(args: argparse.Namespace) -> int:
    from local.auth import DevIssuer

    print(DevIssuer().token(args.user, admin=args.admin))
    return 0


def _invoke(args: argparse.Namespace) -> int:
    from local import logs
    from local.invoke import invoke_file

    # As with `sam local invoke`: the function's logs on stderr, its result on stdout.
    logs.install(sys.stderr)
    result: Any = invoke_file(args.function, Path(args.event))
    print(json.dumps(result, indent=2, default=str), file=sys.__stdout__)
    failed = isinstance(result, dict) and (int(result.get("statusCode", 200)) >= 500
                                           or bool(result.get("batchItemFailures")))
    return 1 if failed else 0


def _openapi(args: argparse.Namespace) -> int:
    from local.openapi import run

    return run(check=args.check)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the stack until Ctrl-C (SELLERJOBS_TIME_SCALE speeds it up)")
    up.add_argument("--port", type=int, default=3000)
    up.add_argument("--sandbox-port", type=int, default=3001)
    up.add_argument("--no-state", action="store_true", help="do not record this stack for `make invoke`")
    up.set_defaults(run=_up)

    demo = commands.add_parser("demo", help="play the promotion scenario and print a summary")
    demo.add_argument("--scale", type=float, default=20.0, help="how much faster than real time")
    demo.add_argument("--verbose", action="store_true", help="show every function log line")
    demo.set_defaults(run=_demo)

    token = commands.add_parser("token", help="print a dev JWT")
    token.add_argument("user")
    token.add_argument("--admin", action="store_true")
    token.set_defaults(run=_token)

    invoke = commands.add_parser("invoke", help="run one function with an event file, like `sam local invoke`")
    invoke.add_argument("function", help="logical id in template.yaml, e.g. PromotionWorkerFunction")
    invoke.add_argument("event", help="event file, e.g. events/promotion_worker.sqs.json")
    invoke.set_defaults(run=_invoke)

    openapi = commands.add_parser("openapi", help="write functions/openapi/openapi.json from the handlers' routes")
    openapi.add_argument("--check", action="store_true", help="only check that the committed document is current")
    openapi.set_defaults(run=_openapi)

    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
