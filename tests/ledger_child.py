"""A process creating one client under a ledger key (for the ledger's process tests).

python -m tests.ledger_child create BASE_URL TOKEN LEDGER KEY
    says ``ready``, waits for a line on stdin, creates the client in RoostedHR at
    BASE_URL, prints ``{"id": ..., "replayed": ...}``
python -m tests.ledger_child hang PROVIDER LEDGER KEY LEASE
    creates the client in PROVIDER's sandbox through a transport that never answers:
    it holds the key until it is killed
"""

from __future__ import annotations

import json
import sys
import time

import httpx

import clientbridge as cb

CLIENT = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")


class NeverAnswers(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        time.sleep(3600)
        raise httpx.ReadTimeout("no answer", request=request)


def main(argv: list[str]) -> None:
    command, *rest = argv
    if command == "create":
        base_url, token, location, key = rest
        with (
            cb.Ledger(location) as ledger,
            cb.connect(
                "roostedhr", base_url=base_url, api_key=token, ledger=ledger, timeout=10
            ) as conn,
        ):
            print("ready", flush=True)
            sys.stdin.readline()
            result = conn.create(CLIENT, key=key)
        print(json.dumps({"id": result.id, "replayed": result.replayed}), flush=True)
    else:
        provider, location, key, lease = rest
        with (
            cb.Ledger(location, lease=float(lease)) as ledger,
            cb.connect(provider, sandbox=True, transport=NeverAnswers(), ledger=ledger) as conn,
        ):
            conn.create(CLIENT, key=key)


if __name__ == "__main__":
    main(sys.argv[1:])
