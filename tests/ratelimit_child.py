"""One of several processes creating clients in one sandbox account at once (for the
Redis-shared rate limit tests): says ``ready``, waits for a line on stdin, creates
COUNT clients one after another, then prints what happened as JSON.

    python -m tests.ratelimit_child BASE_URL TOKEN WORKSPACE COUNT PREFIX [RATE [STORAGE]]
"""

from __future__ import annotations

import json
import sys

import clientbridge as cb


def main(argv: list[str]) -> None:
    base_url, token, workspace_id, count, prefix, *limit = argv
    options: dict[str, str] = {}
    if limit:
        options["rate_limit"] = limit[0]
    if len(limit) > 1:
        options["rate_limit_storage"] = limit[1]
    created = failed = 0
    with cb.connect(
        "placio", base_url=base_url, token=token, workspace_id=workspace_id, timeout=10, **options
    ) as conn:
        print("ready", flush=True)
        sys.stdin.readline()
        for number in range(int(count)):
            client = cb.Client(name=f"Ada {number}", email=f"{prefix}{number}@example.com")
            try:
                conn.create(client)
            except cb.ClientBridgeError:
                failed += 1
            else:
                created += 1
    print(json.dumps({"created": created, "failed": failed}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
