"""The pytest plugin installed with clientbridge (entry point ``pytest11``, name ``clientbridge``).

It gives apps' tests one fixture, ``clientbridge_sandbox``: while the test runs, every
connection the app opens is answered by one in-process `Sandbox` (see
`clientbridge.testing.SandboxFixture`). Nothing but pytest is imported until a test uses
the fixture, so the plugin costs nothing to a test run that does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from clientbridge.testing.sandbox import SandboxFixture

__all__ = ["clientbridge_sandbox"]


@pytest.fixture
def clientbridge_sandbox() -> Iterator[SandboxFixture]:
    """A fresh in-process sandbox answering every clientbridge connection the test opens.

    Connections opened through ``cb.connect``, ``cb.connect_async`` and a config file's
    ``connect``/``connect_many`` methods get the sandbox's credentials and transport (a
    config's unset ``${VAR}`` is no error); ``.clients(provider)`` and
    ``.requests(provider=None)`` show what the app sent, ``.inject(kind, ...)`` makes the
    next creates fail. A ``transport=`` or ``http_client=`` the app passes is not used
    (an ``OverriddenTransportWarning`` says so): nothing reaches the network.
    """
    from clientbridge.overrides import overriding
    from clientbridge.testing.sandbox import SandboxFixture

    fixture = SandboxFixture()
    with overriding(fixture):
        yield fixture
