"""One module per provider: everything the shared suites need to know about it.

The shared suites (soak, transport, secrets, hostile, docs, conformance, cassettes)
parametrise over `BUILTINS`, the built-in adapters of the registry, and read each
provider's facts from its module here: ``tests/providers/<name>.py``. A registered
built-in without a module fails those suites (and `test_provider_fixtures`) with the
name of the file to add, instead of being left out of them.

A module defines:

``MINIMAL``
    the smallest `Client` the provider accepts;
``SETTINGS``
    settings that work offline and reach no look-up, the credential left out (the
    suites put a canary or a placeholder there);
``SANDBOX_EXTRA``
    settings added to the sandbox's own (`SANDBOX_SETTINGS`) so that the first request
    of a create is the create itself (empty when the provider looks nothing up);
``CREATED``
    the provider's answer body to a create of `ADA`;
``record_email(record)``
    the email held in one of the emulator's records;
``CASSETTE_CREDENTIAL``
    the credential the cassette recording server accepts;
``SANDBOX_IDS``
    the ids a seeded recording server gives its first four records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from types import ModuleType
from typing import Any, cast

import clientbridge as cb
from clientbridge.registry import ENTRY_POINT_GROUP, adapter_class

__all__ = ["ADA", "BUILTINS", "REQUIRED", "ProviderFixture", "fixture", "is_builtin"]

#: The client `CREATED` answers.
ADA = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")
#: What every provider module defines.
REQUIRED = (
    "MINIMAL",
    "SETTINGS",
    "SANDBOX_EXTRA",
    "CREATED",
    "record_email",
    "CASSETTE_CREDENTIAL",
    "SANDBOX_IDS",
)


def _plugin_names() -> set[str]:
    from importlib.metadata import entry_points

    return {entry_point.name for entry_point in entry_points(group=ENTRY_POINT_GROUP)}


def is_builtin(provider: str) -> bool:
    """A registered provider that is not an installed plug-in (an entry point)."""
    return provider in cb.providers() and provider not in _plugin_names()


def builtins() -> tuple[str, ...]:
    """The registered built-in providers, as the registry lists them now."""
    plugins = _plugin_names()
    return tuple(name for name in cb.providers() if name not in plugins)


#: The built-in providers every shared suite runs over.
BUILTINS = builtins()


class ProviderFixture:
    """A provider module's facts, typed for the suites."""

    def __init__(self, name: str, module: ModuleType) -> None:
        missing = [attribute for attribute in REQUIRED if not hasattr(module, attribute)]
        if missing:
            raise LookupError(
                f"tests/providers/{name}.py must define {', '.join(missing)} "
                f"(see tests/providers/__init__.py)"
            )
        self.name = name
        self.minimal: cb.Client = module.MINIMAL
        self.settings: Mapping[str, Any] = module.SETTINGS
        self.sandbox_extra: Mapping[str, Any] = module.SANDBOX_EXTRA
        self.created: Mapping[str, Any] = module.CREATED
        self.record_email = cast(Callable[[Mapping[str, Any]], str], module.record_email)
        self.cassette_credential: str = module.CASSETTE_CREDENTIAL
        self.sandbox_ids: tuple[str, ...] = tuple(module.SANDBOX_IDS)

    @property
    def credential_setting(self) -> str:
        """The adapter setting that holds the credential (``api_key``, ``token``)."""
        return next(s.name for s in adapter_class(self.name).settings_spec if s.secret)

    def offline_settings(self, credential: str) -> dict[str, Any]:
        """`SETTINGS` with ``credential`` as the credential."""
        return {**self.settings, self.credential_setting: credential}


_LOADED: dict[str, ProviderFixture] = {}


def fixture(provider: str) -> ProviderFixture:
    """The fixture module of ``provider``; `LookupError` naming the file when it has none."""
    found = _LOADED.get(provider)
    if found is not None:
        return found
    try:
        module = import_module(f"{__name__}.{provider}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{provider}":
            raise
        raise LookupError(
            f"the built-in provider {provider!r} has no test fixture module: add "
            f"tests/providers/{provider}.py defining {', '.join(REQUIRED)} "
            f"(see tests/providers/__init__.py)"
        ) from None
    found = _LOADED[provider] = ProviderFixture(provider, module)
    return found
