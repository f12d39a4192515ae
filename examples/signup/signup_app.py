"""A signup endpoint that puts every new customer in three back-offices at once.

``POST /signup`` with ``{"user_id", "first_name", "last_name", "email", "phone"}``
answers

* 201 when every back-office created the customer, with each one's id;
* 422 when the details cannot be sent anywhere (each back-office's field errors);
* 207 when some back-offices created the customer and others did not (their ids, and
  for the others the error and whether a retry may help), 502 when none did.

Each customer is created at most once in each back-office: the group keeps a ledger
(``SIGNUP_LEDGER``, default ``signups.ledger`` beside the app; a ``redis://`` URL when
several machines serve the app) keyed by the customer's ``user_id``. A signup retried by
the browser, a proxy or a task queue replays the first result instead of creating a second
customer, and sends again only where the first attempt failed.

Run it with ``flask --app signup_app run`` and the environment variables that
``clientbridge.toml`` reads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, request

import clientbridge as cb

#: The back-offices every customer lands in: connection names in clientbridge.toml.
BACK_OFFICES = ("crm", "staffing", "conveyancing")
CONFIG = Path(__file__).with_name("clientbridge.toml")
LEDGER = os.environ.get("SIGNUP_LEDGER", str(Path(__file__).with_name("signups.ledger")))


def create_app(
    config_path: str | os.PathLike[str] = CONFIG, ledger: str | os.PathLike[str] = LEDGER
) -> Flask:
    """The app, with one group of connections kept for its lifetime (close it with
    ``app.extensions["back_offices"].close()``)."""
    app = Flask(__name__)
    config = cb.load_config(config_path)
    # One group for the app's lifetime: look-ups, rate limits, HTTP connections and the
    # ledger are kept between requests. The customer's user_id (its external_id) is the
    # ledger's key, so a retried signup creates nothing twice.
    back_offices = config.connect_many(*BACK_OFFICES, ledger=os.fspath(ledger))
    app.extensions["back_offices"] = back_offices

    @app.post("/signup")
    def signup() -> tuple[dict[str, Any], int]:
        form = request.get_json(silent=True) or {}
        customer = cb.Client(
            external_id=str(form["user_id"]) if "user_id" in form else None,
            first_name=form.get("first_name"),
            last_name=form.get("last_name"),
            email=form.get("email"),
            phone=form.get("phone"),
            source="signup form",
        )
        fan = back_offices.create(customer)
        return outcome(fan), status(fan)

    return app


def outcome(fan: cb.FanoutResult) -> dict[str, Any]:
    """What the endpoint answers: each back-office's id, or what went wrong there."""
    failed: dict[str, Any] = {}
    for name, error in fan.errors.items():
        if isinstance(error, cb.ValidationError):
            failed[name] = {"fields": {e.field: e.message for e in error.errors}}
        elif isinstance(error, cb.UnknownOutcomeError):
            # The back-office may have the customer: the ledger asks it again on the next
            # attempt, and sends only once it is sure nothing was created.
            failed[name] = {"error": type(error).__name__, "retry_after": error.retry_after}
        else:
            retryable = isinstance(error, cb.ProviderError) and error.retryable
            failed[name] = {"error": type(error).__name__, "retry": retryable}
    return {"created": {name: result.id for name, result in fan.results.items()}, "failed": failed}


def status(fan: cb.FanoutResult) -> int:
    if fan.ok:
        return 201
    if fan.results:
        return 207
    if all(isinstance(error, cb.ValidationError) for error in fan.errors.values()):
        return 422
    return 502
