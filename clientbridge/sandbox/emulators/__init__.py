"""One emulator per provider, each following its page in ``providers/``.

Every module of this package but ``base`` holds one `Emulator` subclass; `EMULATORS`
finds them, so adding a provider's emulator is adding its module here.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

from clientbridge.sandbox.emulators.base import Emulator

__all__ = [
    "EMULATORS",
    "Emulator",
    "discover",
]


def discover(package: str = __name__) -> dict[str, type[Emulator]]:
    """The emulators defined in ``package``'s modules, by provider name (sorted)."""
    path = import_module(package).__path__
    found: dict[str, type[Emulator]] = {}
    for module_info in pkgutil.iter_modules(path):
        if module_info.name == "base" or module_info.name.startswith("_"):
            continue
        module = import_module(f"{package}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Emulator)
                and value.__module__ == module.__name__
            ):
                found[value.provider] = value
    return dict(sorted(found.items()))


#: Every emulator, by provider name.
EMULATORS: dict[str, type[Emulator]] = discover()
