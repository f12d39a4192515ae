"""Every registered built-in adapter passes the conformance kit third-party adapters use.

One test class per built-in, made from the registry: its minimal client comes from
``tests/providers/<name>.py`` and the provider's own emulator answers (a fresh sandbox per
request, accepting the kit's canary credential).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

import clientbridge as cb
from clientbridge.sandbox import Sandbox
from clientbridge.testing import CANARY, AdapterConformance

from .providers import BUILTINS, fixture


class BuiltinConformance(AdapterConformance):
    """The kit over a built-in: its emulator answers, its fixture module gives the client."""

    @property
    def minimal_client(self) -> cb.Client:  # type: ignore[override]
        return fixture(self.provider).minimal

    @property
    def settings(self) -> Mapping[str, Any]:  # type: ignore[override]
        emulator = Sandbox().emulator(self.provider)
        return emulator.connect_settings(f"https://{self.provider}.sandbox.example")

    def answer(self, request: httpx.Request) -> httpx.Response:
        sandbox = Sandbox(credentials={self.provider: CANARY})
        return sandbox.transport(self.provider).handle_request(request)


for _name in BUILTINS:
    _class_name = f"TestConformance_{_name}"
    globals()[_class_name] = type(
        _class_name, (BuiltinConformance,), {"provider": _name, "__test__": True}
    )
