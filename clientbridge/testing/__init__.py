"""Testing with clientbridge: apps' own tests, cassettes, and the adapter conformance kit.

* `SandboxFixture` — what the ``clientbridge_sandbox`` pytest fixture gives a test (the
  plugin is installed with clientbridge: see `clientbridge.pytest_plugin`);
* `vcr_config` — a ready vcrpy / pytest-recording configuration that keeps every
  registered provider's credentials, and the secrets you name, out of cassettes;
* `AdapterConformance` — the checks every adapter must pass (for adapter authors).

Each is imported when first used, so importing one costs nothing of the others.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clientbridge.testing.cassettes import CassetteScrubber, vcr_config
    from clientbridge.testing.conformance import CANARY, RICH_CLIENT, AdapterConformance
    from clientbridge.testing.sandbox import SandboxFixture

__all__ = [
    "CANARY",
    "RICH_CLIENT",
    "AdapterConformance",
    "CassetteScrubber",
    "SandboxFixture",
    "vcr_config",
]

_HOMES = {
    "CANARY": "conformance",
    "RICH_CLIENT": "conformance",
    "AdapterConformance": "conformance",
    "CassetteScrubber": "cassettes",
    "vcr_config": "cassettes",
    "SandboxFixture": "sandbox",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'clientbridge.testing' has no attribute {name!r}")
    value = getattr(import_module(f"clientbridge.testing.{home}"), name)
    globals()[name] = value
    return value
