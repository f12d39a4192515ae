"""``python -m clientbridge.sandbox serve --provider NAME``: run a sandbox server.

The same server as ``clientbridge sandbox serve``, without needing the CLI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from clientbridge.errors import ConfigurationError
from clientbridge.sandbox.emulators import EMULATORS
from clientbridge.sandbox.emulators.agencyhandy import RESPONSE_SHAPES
from clientbridge.sandbox.faults import FAULT_ALIASES, FAULT_KINDS

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m clientbridge.sandbox",
        description="Emulators of the clientbridge providers, on 127.0.0.1.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="serve one provider's emulator until Ctrl+C or SIGTERM"
    )
    serve.add_argument("--provider", required=True, help=f"one of {', '.join(EMULATORS)}")
    serve.add_argument("--host", default="127.0.0.1", help="a loopback address (127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    serve.add_argument("--credential", help="the credential to accept (default: the sandbox's)")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="delay every answer")
    serve.add_argument(
        "--fail-rate", type=float, default=0.0, help="share of create calls hit by a fault (0-1)"
    )
    serve.add_argument("--seed", type=int, help="seed for the fault draws and record ids")
    serve.add_argument(
        "--fault-kind",
        action="append",
        choices=[*FAULT_KINDS, *FAULT_ALIASES],
        dest="fault_kinds",
        help="a fault --fail-rate may draw (repeat; default: every failing kind)",
    )
    serve.add_argument(
        "--faults-on-lookups", action="store_true", help="let faults hit look-ups too"
    )
    serve.add_argument(
        "--rate-limit", help="answer 429 past this rate per credential (20/s, 600/min)"
    )
    serve.add_argument(
        "--burst", type=int, help="requests a credential may send at once (default: the rate's)"
    )
    serve.add_argument(
        "--no-retry-after",
        action="store_true",
        help="answer the rate limit's 429 without Retry-After",
    )
    serve.add_argument(
        "--agencyhandy-response",
        choices=RESPONSE_SHAPES,
        default="created_members",
        help="AgencyHandy's answer shape for bulk clients",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    from clientbridge.sandbox.server import serve

    try:
        serve(
            arguments.provider,
            host=arguments.host,
            port=arguments.port,
            credential=arguments.credential,
            latency_ms=arguments.latency_ms,
            fail_rate=arguments.fail_rate,
            seed=arguments.seed,
            fault_kinds=arguments.fault_kinds,
            faults_on_lookups=arguments.faults_on_lookups,
            agencyhandy_response=arguments.agencyhandy_response,
            rate_limit=arguments.rate_limit,
            rate_limit_burst=arguments.burst,
            rate_limit_retry_after=not arguments.no_retry_after,
        )
    except (ConfigurationError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot serve on {arguments.host}:{arguments.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
