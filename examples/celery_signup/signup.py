"""A Celery app that puts each new user into every back-office exactly once.

The broker, the results and clientbridge's ledger live in one Redis server (databases
0, 1 and 2). A task is acknowledged only once it has run (``task_acks_late``), so a worker
that dies in the middle of one leaves it to another worker; the ledger makes running it
again safe: a back-office that already holds the client is not sent it again.

Run it (see README.md)::

    celery -A signup worker --loglevel=INFO
    python enqueue.py 20

Settings, from the environment:

``SIGNUP_REDIS_URL``
    the Redis server (default ``redis://127.0.0.1:6379``)
``CLIENTBRIDGE_CONFIG``
    the clientbridge config file (default ``./clientbridge.toml``)
``SIGNUP_VISIBILITY_TIMEOUT``
    seconds before a task taken by a worker that died is given to another one (default
    120; keep it above the ledger's lease: the connections' ``total_timeout`` plus 10 s,
    100 s with the default timeouts)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown

import clientbridge as cb
from clientbridge.errors import is_retryable, outcome_unknown

REDIS_URL = os.environ.get("SIGNUP_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
VISIBILITY_TIMEOUT = float(os.environ.get("SIGNUP_VISIBILITY_TIMEOUT", "120"))
#: How often a task is tried before it fails for good.
MAX_RETRIES = 8

app = Celery("signup", broker=f"{REDIS_URL}/0", backend=f"{REDIS_URL}/1")
app.conf.update(
    # Acknowledge a task when it has run, not when a worker takes it: the task of a
    # worker killed outright goes back to the queue...
    task_acks_late=True,
    # ...and so does the task of a pool process that dies under a live worker.
    task_reject_on_worker_lost=True,
    # A worker reserves no more tasks than it runs (others stay free for other workers).
    worker_prefetch_multiplier=1,
    broker_transport_options={
        # After this many seconds unacknowledged, a task is given to another worker.
        "visibility_timeout": VISIBILITY_TIMEOUT,
        # Look for such tasks every second (kombu's default is far less often).
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    },
    broker_connection_retry_on_startup=True,
)

_ledger: cb.Ledger | None = None
_group: cb.ConnectionGroup | None = None


def back_offices() -> cb.ConnectionGroup:
    """Every connection of the config file, with the ledger: opened once per worker
    process (after the fork), at its first task."""
    global _ledger, _group
    if _group is None:
        config = cb.load_config()  # $CLIENTBRIDGE_CONFIG, else ./clientbridge.toml
        _ledger = cb.Ledger(f"{REDIS_URL}/2")
        _group = config.connect_many(ledger=_ledger)
    return _group


@worker_process_shutdown.connect
def _close(**_: Any) -> None:
    if _group is not None:
        _group.close()
    if _ledger is not None:
        _ledger.close()


def retry_in(errors: Iterable[cb.ClientBridgeError], attempt: int) -> float | None:
    """Seconds to wait before running the task again, or None when no wait will help.

    With a ledger every retry is safe: a back-office that created the client replays it,
    and one whose outcome is unknown is asked first where it can be.
    """
    waits: list[float] = []
    for error in errors:
        if isinstance(error, cb.UnknownOutcomeError):
            # None: the back-office cannot be asked whether it holds the client; a
            # person checks it (see README.md).
            if error.retry_after is not None:
                waits.append(error.retry_after)
        elif isinstance(error, cb.RateLimitedError) and error.retry_after is not None:
            waits.append(error.retry_after)
        elif is_retryable(error) or outcome_unknown(error):
            waits.append(min(2.0**attempt, 60.0))
    return max(waits) + 1.0 if waits else None


@app.task(name="signup.sign_up", bind=True, max_retries=MAX_RETRIES)
def sign_up(self: Any, user_id: int, email: str, first_name: str, last_name: str) -> dict[str, str]:
    """Create user ``user_id`` in every back-office; returns the id each one gave it."""
    client = cb.Client(
        first_name=first_name, last_name=last_name, email=email, external_id=f"user-{user_id}"
    )
    fan = back_offices().create(client, key=f"user-{user_id}")
    if not fan.ok:
        wait = retry_in(fan.errors.values(), self.request.retries)
        if wait is not None and self.request.retries < MAX_RETRIES:
            raise self.retry(countdown=wait)
        fan.raise_for_errors()  # the task fails, naming each back-office and why
    return {name: result.id for name, result in fan.results.items()}
