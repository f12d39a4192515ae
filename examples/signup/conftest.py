"""The signup app's fixtures: the app on the clientbridge sandbox, and how cassettes are kept.

``clientbridge_sandbox`` comes with clientbridge (its pytest plugin): every connection
the app opens while a test runs is answered by one in-process sandbox.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from signup_app import create_app

from clientbridge.testing import SandboxFixture
from clientbridge.testing import vcr_config as clientbridge_vcr_config

#: The environment variables clientbridge.toml reads credentials from: kept out of
#: cassettes recorded against live accounts.
CREDENTIAL_VARIABLES = ("PLACIO_TOKEN", "ROOSTEDHR_API_KEY", "PROCONVEY_API_KEY")


@pytest.fixture
def app(clientbridge_sandbox: SandboxFixture, tmp_path: Path) -> Iterator[Flask]:
    """The app, created while the sandbox answers (it opens its connections here), with a
    ledger of its own."""
    app = create_app(ledger=tmp_path / "signups.ledger")
    yield app
    app.extensions["back_offices"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """pytest-recording's configuration: every provider's credentials, and ours, scrubbed."""
    secrets = [os.environ[name] for name in CREDENTIAL_VARIABLES if os.environ.get(name)]
    return clientbridge_vcr_config(*secrets)
